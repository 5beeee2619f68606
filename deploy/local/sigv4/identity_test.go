package sigv4

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestProxyIdentity(t *testing.T) {
	tests := []struct {
		name string
		id   Identity
		want events.APIGatewayRequestIdentity
	}{
		{"IAM user", user, events.APIGatewayRequestIdentity{
			AccessKey: "AKIALOCALUSER0000001", AccountID: "000000000000",
			Caller: "AIDALOCALUSER0000001", User: "AIDALOCALUSER0000001", UserArn: "arn:aws:iam::000000000000:user/local",
			SourceIP: "127.0.0.1", UserAgent: "curl/7.88.1",
		}},
		{"assumed role", role, events.APIGatewayRequestIdentity{
			AccessKey: "ASIALOCALROLE0000001", AccountID: "000000000000",
			Caller: "AROALOCALROLE0000001:scraper", User: "AROALOCALROLE0000001:scraper",
			UserArn:  "arn:aws:sts::000000000000:assumed-role/scraper-role/scraper",
			SourceIP: "127.0.0.1", UserAgent: "curl/7.88.1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.ProxyIdentity("127.0.0.1", "curl/7.88.1"); got != tt.want {
				t.Errorf("ProxyIdentity =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestAccountID(t *testing.T) {
	tests := map[string]string{
		"arn:aws:iam::123456789012:user/a/b":                 "123456789012",
		"arn:aws:sts::000000000000:assumed-role/R/S":         "000000000000",
		"arn:aws-cn:iam::111122223333:user/with:colon/in/it": "111122223333",
		"":               "",
		"not-an-arn":     "",
		"arn:aws:iam::1": "",
	}
	for arn, want := range tests {
		if got := (Identity{ARN: arn}).AccountID(); got != want {
			t.Errorf("AccountID of %q = %q, want %q", arn, got, want)
		}
	}
}
