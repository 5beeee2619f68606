package cloud

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A service the local cloud does not serve, reached through
// AWS_ENDPOINT_URL, is refused with its name, never passed to AWS.
func TestOtherServicesRefusedByName(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=ListRoles"))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIALOCAL/20261202/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00")
	w := httptest.NewRecorder()
	otherService(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	if w.Code != http.StatusBadRequest || !strings.Contains(string(body), "does not emulate the AWS service iam") {
		t.Errorf("%d %s", w.Code, body)
	}
	st := State{Endpoints: map[string]string{"": "http://127.0.0.1:1", "api-gateway": "http://127.0.0.1:2"}}
	env := strings.Join(st.DeployEnv([]string{"AWS_ENDPOINT_URL=https://elsewhere", "AWS_PROFILE=prod"}), " ")
	for _, want := range []string{"AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_ENDPOINT_URL_API_GATEWAY=http://127.0.0.1:2"} {
		if !strings.Contains(env, want) {
			t.Errorf("deploy environment %s: no %s", env, want)
		}
	}
	if strings.Contains(env, "elsewhere") || strings.Contains(env, "prod") {
		t.Errorf("deploy environment kept the caller's endpoint or profile: %s", env)
	}
}
