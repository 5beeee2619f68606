package iam

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const (
	region  = "us-east-1"
	account = "123456789012"
)

// clients are real SDK clients of the four services, pointed at one server.
type clients struct {
	dynamodb *dynamodb.Client
	kinesis  *kinesis.Client
	sqs      *sqs.Client
	lambda   *lambda.Client
	queueURL string // a queue URL of the server
}

func newClients(url string) clients {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token")
	return clients{
		dynamodb: dynamodb.New(dynamodb.Options{BaseEndpoint: &url, Region: region, Credentials: creds, Retryer: aws.NopRetryer{}}),
		kinesis:  kinesis.New(kinesis.Options{BaseEndpoint: &url, Region: region, Credentials: creds, Retryer: aws.NopRetryer{}}),
		sqs:      sqs.New(sqs.Options{BaseEndpoint: &url, Region: region, Credentials: creds, Retryer: aws.NopRetryer{}}),
		lambda:   lambda.New(lambda.Options{BaseEndpoint: &url, Region: region, Credentials: creds, Retryer: aws.NopRetryer{}}),
		queueURL: url + "/" + account + "/movies-dev-failures",
	}
}

// identified is what a server made of one request.
type identified struct {
	call Call
	err  error
	seen bool // a request arrived
}

// server runs an httptest server that identifies each request it receives,
// records the outcome, and answers with answer. The function it returns
// takes the outcome of the last request and forgets it, and fails the test
// when no request arrived since.
func server(t *testing.T, answer func(w http.ResponseWriter, c Call, err error)) (clients, func(*testing.T) identified) {
	t.Helper()
	var mu sync.Mutex
	var last identified
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		c, err := Identify(r, body, region, account)
		mu.Lock()
		last = identified{c, err, true}
		mu.Unlock()
		answer(w, c, err)
	}))
	t.Cleanup(srv.Close)
	return newClients(srv.URL), func(t *testing.T) identified {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		got := last
		last = identified{}
		if !got.seen {
			t.Fatal("the client sent no request")
		}
		return got
	}
}

// ok answers every request with an empty success in its protocol.
func ok(w http.ResponseWriter, c Call, _ error) {
	switch c.Protocol {
	case JSON11:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	case RESTJSON:
		w.Header().Set("Content-Type", "application/json")
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	}
	_, _ = w.Write([]byte("{}"))
}

// sdkCall is one request made by a real SDK client. Its error is not looked
// at: the server's answer is an empty success, which some operations reject.
type sdkCall func(ctx context.Context, c clients) error
