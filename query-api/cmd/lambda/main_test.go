package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:moviepipe-dev-cursor-key-AbCdEf"

// secretsManager answers GetSecretValue as Secrets Manager does (JSON 1.1):
// the value when allowed, else AccessDeniedException.
func secretsManager(t *testing.T, allowed bool, value string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !strings.Contains(string(body), secretARN) {
			t.Errorf("request %s %s", r.Header.Get("X-Amz-Target"), body)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if !allowed {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: secretsmanager:GetSecretValue on resource: `+secretARN+`"}`)
			return
		}
		_, _ = io.WriteString(w, `{"ARN":"`+secretARN+`","Name":"moviepipe-dev-cursor-key","SecretString":"`+value+`","VersionId":"v1","VersionStages":["AWSCURRENT"]}`)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestBuildReadsTheCursorKeyOnce(t *testing.T) {
	if _, err := build(context.Background(), func(string) string { return "" }); err == nil ||
		!strings.Contains(err.Error(), "MOVIES_TABLE") || !strings.Contains(err.Error(), "CURSOR_KEY_SECRET_ARN") {
		t.Fatalf("got %v", err)
	}
	value := strings.Repeat("0123456789abcdef", 4)
	secretsManager(t, true, value)
	h, err := build(context.Background(), func(k string) string {
		return map[string]string{"MOVIES_TABLE": "movies", "CURSOR_KEY_SECRET_ARN": secretARN}[k]
	})
	if err != nil || h.Store == nil || string(h.Cursor.Key) != value {
		t.Fatalf("%+v %v", h, err)
	}
}

// A role without secretsmanager:GetSecretValue on the secret stops the
// start, naming the setting, the secret and Secrets Manager's reason.
func TestBuildFailsWhenTheSecretIsDenied(t *testing.T) {
	secretsManager(t, false, "")
	_, err := build(context.Background(), func(k string) string {
		return map[string]string{"MOVIES_TABLE": "movies", "CURSOR_KEY_SECRET_ARN": secretARN}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "CURSOR_KEY_SECRET_ARN: read secret "+secretARN) || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Fatalf("got %v", err)
	}
}
