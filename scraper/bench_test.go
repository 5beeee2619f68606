package scraper_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/profile"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

// cataloguePage repeats the fixture's films to a page of about n films.
func cataloguePage(b *testing.B, n int) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "pages", "catalogue.html"))
	if err != nil {
		b.Fatal(err)
	}
	start := bytes.Index(data, []byte(`<li class="film"`))
	end := bytes.LastIndex(data, []byte(`</ol>`))
	films := data[start:end]
	var page bytes.Buffer
	page.Write(data[:start])
	for page.Len() < n*len(films)/5 {
		page.Write(films)
	}
	page.Write(data[end:])
	return page.Bytes()
}

// BenchmarkParseCatalogue is HTML parsing and extraction with the catalogue
// profile: MB/s of HTML and movies/s.
func BenchmarkParseCatalogue(b *testing.B) {
	page := cataloguePage(b, 250)
	p, _ := profile.Builtin("catalogue")
	base, _ := url.Parse("http://127.0.0.1/films?page=1")
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	movies := 0
	for b.Loop() {
		doc, err := profile.ReadDocument(bytes.NewReader(page), base)
		if err != nil {
			b.Fatal(err)
		}
		parsed, err := p.Extract(doc)
		if err != nil {
			b.Fatal(err)
		}
		movies += len(parsed.Movies)
	}
	b.ReportMetric(float64(movies)/b.Elapsed().Seconds(), "movies/s")
}

// BenchmarkRecords is building and validating movie-record.v1 per movie.
func BenchmarkRecords(b *testing.B) {
	p, _ := profile.Builtin("catalogue")
	base, _ := url.Parse("http://127.0.0.1/films?page=1")
	doc, _ := profile.ReadDocument(bytes.NewReader(cataloguePage(b, 250)), base)
	parsed, _ := p.Extract(doc)
	prov := scraper.Provenance{SourceURL: base.String(), ScrapedAt: time.Now(), RunID: "run-1", TraceHeader: header}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, m := range parsed.Movies {
			_, _ = scraper.NewRecord(m, prov)
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

type nopKinesis struct{}

func (nopKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i := range out.Records {
		out.Records[i].SequenceNumber = aws.String("1")
	}
	return out, nil
}

// BenchmarkPublish is the publisher's own cost per record (chunking, request
// building, result handling) with a stream that accepts everything.
func BenchmarkPublish(b *testing.B) {
	entries := make([]publish.Entry, 3201)
	for i := range entries {
		entries[i] = publish.Entry{Key: fmt.Sprintf("tt%07d", i), Data: bytes.Repeat([]byte{'x'}, 900)}
	}
	p := &publish.Publisher{API: nopKinesis{}, Stream: "s"}
	b.ReportAllocs()
	for b.Loop() {
		if n, _ := p.Publish(context.Background(), entries); n != len(entries) {
			b.Fatal(n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(entries)), "ns/record")
}
