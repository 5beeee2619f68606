package sigv4

import (
	"os/exec"
	"strings"
	"testing"
)

// curlSigV4 returns curl's path if it can sign requests (--aws-sigv4, curl
// 7.75 and later); the test is skipped otherwise.
func curlSigV4(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl on PATH")
	}
	help, err := exec.Command(path, "--help", "all").Output()
	if err != nil || !strings.Contains(string(help), "--aws-sigv4") {
		t.Skip("curl has no --aws-sigv4")
	}
	return path
}

// Requests signed by curl, as users sign API Gateway calls by hand (the AWS
// KC's own example), pass; curl signs the headers it is given, User-Agent
// included, which the SDK's signer would leave out. Not tested here: curl
// 7.88 signs the query unsorted and the path escaped once, which AWS refuses
// as the local cloud does (later curls canonicalize both).
func TestVerifyAcceptsWhatCurlSigns(t *testing.T) {
	curl := curlSigV4(t)
	tests := []struct {
		name   string
		as     Identity
		secret string
		args   []string
		path   string
		want   Reason // 0: accepted
	}{
		{name: "POST with a body and a session token", as: role,
			args: []string{"-d", `{"url":"http://127.0.0.1/"}`, "-H", "Content-Type: application/json", "-H", "X-Amz-Security-Token: " + role.SessionToken},
			path: "/local/scrapes"},
		{name: "GET with a signed User-Agent and spaces in a value", as: user,
			args: []string{"-H", "User-Agent: moviepipe-test/1", "-H", "X-Trace:  a   b "}, path: "/local/movies"},
		{name: "GET with a query", as: user, path: "/local/movies?limit=10"},
		{name: "wrong secret", as: user, secret: "not-the-secret", path: "/local/movies", want: BadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verifier(signedAt)
			v.Now = nil // curl signs at the wall clock's time
			srv, got := serve(t, v, "execute-api", WriteAPIGateway)
			secret := tt.as.SecretAccessKey
			if tt.secret != "" {
				secret = tt.secret
			}
			args := append([]string{"-sS", "-o", "/dev/null", "--aws-sigv4", "aws:amz:" + region + ":execute-api",
				"--user", tt.as.AccessKeyID + ":" + secret}, tt.args...)
			cmd := exec.Command(curl, append(args, srv.URL+tt.path)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("curl: %v\n%s", err, b)
			}
			out := <-got
			switch {
			case tt.want == 0 && out.f != nil:
				t.Errorf("refused: %v\ncanonical request:\n%s", out.f, out.f.CanonicalRequest)
			case tt.want == 0 && out.id != tt.as:
				t.Errorf("identity = %+v, want %+v", out.id, tt.as)
			case tt.want != 0 && (out.f == nil || out.f.Reason != tt.want):
				t.Errorf("outcome = %+v, want refused as %v", out.f, tt.want)
			}
		})
	}
}
