package runs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/scraper"
)

// PagesKeptFor is how long a page's memory is kept after a run last saw the
// page (the table's TTL): a page no run saw for as long is published
// again.
const PagesKeptFor = 30 * 24 * time.Hour

// Pages implements scraper.Pages on the runs table: the item
// {id: "page#<SHA-256 of the URL>", url, etag, lastModified, hash, next,
// profile, expiresAt}.
type Pages struct {
	API  API
	Name string
	// Now is the clock [time.Now].
	Now func() time.Time
}

type pageItem struct {
	ID           string `dynamodbav:"id"`
	URL          string `dynamodbav:"url"`
	ETag         string `dynamodbav:"etag,omitempty"`
	LastModified string `dynamodbav:"lastModified,omitempty"`
	Hash         string `dynamodbav:"hash"`
	Next         string `dynamodbav:"next,omitempty"`
	Profile      string `dynamodbav:"profile"`
	ExpiresAt    int64  `dynamodbav:"expiresAt"`
}

// Recall implements scraper.Pages. An item past its expiry, which
// DynamoDB's TTL has not deleted yet, is not remembered.
func (p *Pages) Recall(ctx context.Context, url string) (scraper.PageMemory, error) {
	var it pageItem
	found, err := (&Table{API: p.API, Name: p.Name}).get(ctx, pageID(url), &it)
	if err != nil {
		return scraper.PageMemory{}, fmt.Errorf("recall %s: %w", url, err)
	}
	if !found || it.ExpiresAt < p.now().Unix() || it.URL != url {
		return scraper.PageMemory{}, nil
	}
	m := scraper.PageMemory{Hash: it.Hash, Next: it.Next, Profile: it.Profile}
	m.ETag, m.LastModified = it.ETag, it.LastModified
	return m, nil
}

// Remember implements scraper.Pages.
func (p *Pages) Remember(ctx context.Context, url string, m scraper.PageMemory) error {
	it, err := attributevalue.MarshalMap(pageItem{ID: pageID(url), URL: url, ETag: m.ETag, LastModified: m.LastModified, Hash: m.Hash,
		Next: m.Next, Profile: m.Profile, ExpiresAt: p.now().Add(PagesKeptFor).Unix()})
	if err != nil {
		return err
	}
	if _, err := p.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: &p.Name, Item: it}); err != nil {
		return fmt.Errorf("remember %s: %w", url, err)
	}
	return nil
}

// pageID keys a page by its URL's hash: a URL may be longer than a key.
func pageID(url string) string {
	sum := sha256.Sum256([]byte(url))
	return "page#" + hex.EncodeToString(sum[:])
}

func (p *Pages) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
