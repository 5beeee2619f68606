package frontdoor_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/iam"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

const (
	region  = "us-east-1"
	account = "000000000000"
)

// fn is the one function the test doors know; its role allows what the
// policy says.
func fn(t *testing.T, policy string) *frontdoor.Principal {
	t.Helper()
	var doc any
	if err := jsonUnmarshal(policy, &doc); err != nil {
		t.Fatal(err)
	}
	p, err := iam.ParsePolicy("fn-policy", doc)
	if err != nil {
		t.Fatal(err)
	}
	return &frontdoor.Principal{Name: "fn", Role: "arn:aws:iam::000000000000:role/fn-role", Policies: []iam.Policy{p},
		Identity: sigv4.Identity{AccessKeyID: "ASIAFNFNFNFNFNFNFNFN", SecretAccessKey: "secret", SessionToken: "token",
			ARN: "arn:aws:sts::000000000000:assumed-role/fn-role/fn", UserID: "AROAFNFNFNFNFNFNFNFN:fn"}}
}

// doors puts a front door for each service before one upstream that
// answers every request with {} and counts them.
func doors(t *testing.T, p *frontdoor.Principal) (map[string]string, *atomic.Int64, *frontdoor.Report) {
	t.Helper()
	var passed atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		passed.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	report := &frontdoor.Report{}
	out := map[string]string{}
	for _, svc := range []string{"dynamodb", "kinesis", "sqs", "lambda"} {
		d := &frontdoor.Door{Service: svc, Upstream: u, Region: region, Account: account, Report: report,
			Principals: func(ak string) (*frontdoor.Principal, bool) { return p, ak == p.Identity.AccessKeyID }}
		s := httptest.NewServer(d)
		t.Cleanup(s.Close)
		out[svc] = s.URL
	}
	return out, &passed, report
}

func creds(p *frontdoor.Principal) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(p.Identity.AccessKeyID, p.Identity.SecretAccessKey, p.Identity.SessionToken)
}

// calls are one call per protocol, each on its own resource.
func calls(p *frontdoor.Principal, urls map[string]string) map[string]func(context.Context) error {
	c := creds(p)
	ddb := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(urls["dynamodb"]), Region: region, Credentials: c, Retryer: aws.NopRetryer{}})
	kin := kinesis.New(kinesis.Options{BaseEndpoint: aws.String(urls["kinesis"]), Region: region, Credentials: c, Retryer: aws.NopRetryer{}})
	q := sqs.New(sqs.Options{BaseEndpoint: aws.String(urls["sqs"]), Region: region, Credentials: c, Retryer: aws.NopRetryer{}})
	fnc := lambda.New(lambda.Options{BaseEndpoint: aws.String(urls["lambda"]), Region: region, Credentials: c, Retryer: aws.NopRetryer{}})
	return map[string]func(context.Context) error{
		"dynamodb": func(ctx context.Context) error {
			_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("movies"), Item: map[string]dtypes.AttributeValue{"id": &dtypes.AttributeValueMemberS{Value: "x"}}})
			return err
		},
		"kinesis": func(ctx context.Context) error {
			_, err := kin.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("movies"), Records: []ktypes.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("k")}}})
			return err
		},
		"sqs": func(ctx context.Context) error {
			_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(urls["sqs"] + "/000000000000/failures"), MessageBody: aws.String("x")})
			return err
		},
		"lambda": func(ctx context.Context) error {
			_, err := fnc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("worker")})
			return err
		},
	}
}

// A call the role allows reaches the service unchanged; one it does not is
// answered as the service answers it, with AccessDeniedException (SQS:
// AccessDenied) naming the role's session, the action and the resource,
// and never reaches the service.
func TestAllowedPassesDeniedIsAnswered(t *testing.T) {
	allowAll := fn(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem","kinesis:PutRecords","sqs:SendMessage","lambda:InvokeFunction"],
		"Resource":["arn:aws:dynamodb:us-east-1:000000000000:table/movies","arn:aws:kinesis:us-east-1:000000000000:stream/movies","arn:aws:sqs:us-east-1:000000000000:failures","arn:aws:lambda:us-east-1:000000000000:function:worker"]}]}`)
	urls, passed, _ := doors(t, allowAll)
	for svc, call := range calls(allowAll, urls) {
		if err := call(t.Context()); err != nil {
			t.Errorf("%s allowed: %v", svc, err)
		}
	}
	if passed.Load() != 4 {
		t.Fatalf("%d calls reached the service, want 4", passed.Load())
	}

	none := fn(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}`)
	urls, passed, report := doors(t, none)
	want := map[string]string{"dynamodb": "AccessDeniedException", "kinesis": "AccessDeniedException", "sqs": "AccessDenied", "lambda": "AccessDeniedException"}
	for svc, call := range calls(none, urls) {
		err := call(t.Context())
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != want[svc] ||
			!strings.Contains(ae.ErrorMessage(), "User: arn:aws:sts::000000000000:assumed-role/fn-role/fn is not authorized to perform: "+svc) ||
			!strings.Contains(ae.ErrorMessage(), "because no identity-based policy allows") {
			t.Errorf("%s denied: %v", svc, err)
		}
	}
	if passed.Load() != 0 || len(report.Denied()) != 4 {
		t.Fatalf("%d denied calls reached the service; report %+v", passed.Load(), report.Denied())
	}
}

// A wildcard resource allows what it covers; an explicit Deny wins over any
// Allow, and the answer says so.
func TestWildcardAndExplicitDeny(t *testing.T) {
	p := fn(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/mov*"},
		{"Effect":"Deny","Action":"dynamodb:PutItem","Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/movies"}]}`)
	urls, passed, _ := doors(t, p)
	ddb := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(urls["dynamodb"]), Region: region, Credentials: creds(p), Retryer: aws.NopRetryer{}})
	key := map[string]dtypes.AttributeValue{"id": &dtypes.AttributeValueMemberS{Value: "x"}}
	if _, err := ddb.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("movies"), Key: key}); err != nil {
		t.Fatalf("wildcard: %v", err)
	}
	_, err := ddb.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("movies"), Item: key})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "with an explicit deny in an identity-based policy") {
		t.Fatalf("explicit deny: %v", err)
	}
	if _, err := ddb.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("other"), Key: key}); err == nil {
		t.Fatal("a table the wildcard does not cover was allowed")
	}
	if passed.Load() != 1 {
		t.Fatalf("%d calls reached the service, want 1", passed.Load())
	}
}

// A request signed with a key the cloud does not know, or with the wrong
// secret, is refused before IAM is asked.
func TestUnverifiedIsRefused(t *testing.T) {
	p := fn(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	urls, passed, _ := doors(t, p)
	for name, c := range map[string]aws.CredentialsProvider{
		"unknown key":  credentials.NewStaticCredentialsProvider("ASIANOTKNOWN", "secret", "token"),
		"wrong secret": credentials.NewStaticCredentialsProvider(p.Identity.AccessKeyID, "wrong", "token"),
	} {
		ddb := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(urls["dynamodb"]), Region: region, Credentials: c, Retryer: aws.NopRetryer{}})
		_, err := ddb.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("movies")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || (ae.ErrorCode() != "UnrecognizedClientException" && ae.ErrorCode() != "InvalidSignatureException") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if passed.Load() != 0 {
		t.Fatalf("%d unverified calls reached the service", passed.Load())
	}
}

// The report lists, per caller, the grants no allowed call used.
func TestUnusedGrants(t *testing.T) {
	p := fn(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:Scan"],"Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/movies"}]}`)
	urls, _, report := doors(t, p)
	if err := calls(p, urls)["dynamodb"](t.Context()); err != nil {
		t.Fatal(err)
	}
	unused := report.Unused([]*frontdoor.Principal{p})
	if len(unused) != 1 || unused[0].Action != "dynamodb:Scan" {
		t.Fatalf("unused %+v; want dynamodb:Scan only", unused)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// The operator, an administrator, may call what the front door cannot
// identify (ListStreams; GetRecords naming its stream by the iterator
// alone); a function may not.
func TestAdministratorCallsPassUnidentified(t *testing.T) {
	admin := &frontdoor.Principal{Name: "operator", Admin: true, Identity: sigv4.Identity{AccessKeyID: "AKIAOPERATOROPERATOR", SecretAccessKey: "secret",
		ARN: "arn:aws:iam::000000000000:user/local"}}
	role := fn(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	for _, tt := range []struct {
		p    *frontdoor.Principal
		pass bool
	}{{admin, true}, {role, false}} {
		urls, passed, _ := doors(t, tt.p)
		kin := kinesis.New(kinesis.Options{BaseEndpoint: aws.String(urls["kinesis"]), Region: region, Credentials: creds(tt.p), Retryer: aws.NopRetryer{}})
		_, err1 := kin.ListStreams(t.Context(), &kinesis.ListStreamsInput{})
		_, err2 := kin.GetRecords(t.Context(), &kinesis.GetRecordsInput{ShardIterator: aws.String("AAAA")})
		if tt.pass && (err1 != nil || err2 != nil || passed.Load() != 2) {
			t.Errorf("%s: %v, %v; %d calls passed, want 2", tt.p.Name, err1, err2, passed.Load())
		}
		var ae smithy.APIError
		if !tt.pass && (!errors.As(err1, &ae) || ae.ErrorCode() != "UnknownOperationException" || err2 == nil || passed.Load() != 0) {
			t.Errorf("%s: %v, %v; %d calls passed, want none", tt.p.Name, err1, err2, passed.Load())
		}
	}
}
