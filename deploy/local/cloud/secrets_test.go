package cloud_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cft "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// The listing's cursors are sealed with the stage's generated secret: the
// shared stack's secret has an ARN with Secrets Manager's random suffix
// and a 64-character value; the query API reads it at start through its
// front door (the permission report shows the grant used); a listing is
// paged through with its cursors; a cursor sealed with the old
// name-derived key is refused, one sealed with the secret's value is
// taken. An update of the shared stack keeps the secret, its ARN and its
// value, and the cursors handed out before.
func TestListingCursorsUseTheGeneratedSecret(t *testing.T) {
	r := up(t, cloud.Options{})
	arn := r.c.State.Exports["moviepipe-local-CursorKeySecretArn"]
	if !regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:moviepipe-local-cursor-key-[A-Za-z0-9]{6}$`).MatchString(arn) {
		t.Fatalf("secret ARN %q", arn)
	}
	key := operatorReads(t, r.c, "moviepipe-local-cursor-key")
	if !regexp.MustCompile(`^[A-Za-z0-9]{64}$`).MatchString(key) {
		t.Fatalf("secret value %q: want 64 letters and digits (GenerateSecretString)", key)
	}
	if code, rep := r.scrape(`{"maxPages":1}`); code != http.StatusOK || rep.RecordsPublished < 3 {
		t.Fatalf("scrape: %d %+v", code, rep)
	}
	r.settle(time.Minute)

	first := listPage(t, r.c.State.API, "")
	second := listPage(t, r.c.State.API, first.Next)
	if first.Next == "" || len(second.Items) != 2 || second.Items[0].ID == first.Items[0].ID {
		t.Fatalf("pages %+v then %+v", first, second)
	}
	after := second.Items[1].ID
	if code, body := listing(t, r.c.State.API, seal("moviepipe-cursor:moviepipe-local-movies", after)); code != http.StatusBadRequest {
		t.Errorf("a cursor sealed with the old derived key: %d %s, want 400", code, body)
	}
	if code, body := listing(t, r.c.State.API, seal(key, after)); code != http.StatusOK {
		t.Errorf("a cursor sealed with the secret's value: %d %s, want 200", code, body)
	}
	used := false
	for _, u := range r.c.Permissions().Used {
		used = used || u.Caller == "moviepipe-query-api-local" && u.Action == "secretsmanager:GetSecretValue" && u.Resource == arn
	}
	if !used {
		t.Errorf("the permission report lacks the query API's GetSecretValue on %s", arn)
	}

	// An update of the shared stack keeps the secret as it is.
	cl := cfnClient(r.c)
	tpl := template(t, cl, "moviepipe-resources-local")
	tpl["Outputs"].(map[string]any)["Extra"] = map[string]any{"Value": "extra"}
	if st, why := update(t, cl, "moviepipe-resources-local", tpl); st != cft.StackStatusUpdateComplete {
		t.Fatalf("update: %s %s", st, why)
	}
	if again := r.c.State.Exports["moviepipe-local-CursorKeySecretArn"]; again != arn || operatorReads(t, r.c, arn) != key {
		t.Errorf("after an update: ARN %s, want %s, and the value kept", again, arn)
	}
	if code, body := listing(t, r.c.State.API, first.Next); code != http.StatusOK {
		t.Errorf("a cursor handed out before the update: %d %s", code, body)
	}
}

// A query API whose role may not read the secret does not start: Secrets
// Manager's AccessDeniedException, through the front door, stops it at
// init, its log naming CURSOR_KEY_SECRET_ARN and the secret, and the
// listing answers API Gateway's 502 instead of serving cursors sealed with
// some other key.
func TestQueryAPIWithoutTheSecretDoesNotStart(t *testing.T) {
	r := up(t, cloud.Options{Templates: withoutAction(t, "query-api", "secretsmanager:GetSecretValue")})
	arn := r.c.State.Exports["moviepipe-local-CursorKeySecretArn"]
	if code, body := listing(t, r.c.State.API, ""); code != http.StatusBadGateway {
		t.Errorf("GET /movies: %d %s, want 502", code, body)
	}
	r.logs.mu.Lock()
	logs := r.logs.w.(*strings.Builder).String()
	r.logs.mu.Unlock()
	if !strings.Contains(logs, "CURSOR_KEY_SECRET_ARN: read secret "+arn) || !strings.Contains(logs, "AccessDeniedException") {
		t.Errorf("the query API's log does not name the secret and the denial:\n%s", tail(logs, 3000))
	}
	denied := false
	for _, u := range r.c.Permissions().Denied {
		denied = denied || u.Action == "secretsmanager:GetSecretValue" && u.Resource == arn
	}
	if !denied {
		t.Errorf("the permission report lacks the denied GetSecretValue on %s", arn)
	}
}

// operatorReads reads a secret's value with the operator's credentials
// through the Secrets Manager endpoint, as the AWS CLI does.
func operatorReads(t *testing.T, c *cloud.Cloud, id string) string {
	t.Helper()
	creds := c.State.Credentials
	sm := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(c.State.Endpoints["secrets-manager"]),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	out, err := sm.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SecretString)
}

type page struct {
	Items []struct{ ID string } `json:"items"`
	Next  string                `json:"next"`
}

// listPage is GET /movies?limit=2, from cursor ("" for the first page).
func listPage(t *testing.T, api, cursor string) page {
	t.Helper()
	code, body := listing(t, api, cursor)
	var p page
	if err := json.Unmarshal([]byte(body), &p); code != http.StatusOK || err != nil {
		t.Fatalf("GET /movies from %q: %d %s", cursor, code, body)
	}
	return p
}

func listing(t *testing.T, api, cursor string) (int, string) {
	t.Helper()
	q := url.Values{"limit": {"2"}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return request(t, "GET", api+"/movies?"+q.Encode(), "", nil)
}

// seal makes the cursor of the whole listing after id, sealed with key as
// the query API seals them (query-api/cursor.go): base64url(HMAC-SHA256
// of "all", a zero byte and the body, cut to 16 bytes, then the body).
func seal(key, id string) string {
	body := `{"v":1,"id":` + strings.TrimSpace(mustJSON(id)) + `}`
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("all\x00"))
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(append(m.Sum(nil)[:16], body...))
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
