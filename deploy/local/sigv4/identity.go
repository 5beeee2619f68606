package sigv4

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Identity is a principal the local cloud knows, with its secret.
type Identity struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken is "" for a long-term key.
	SessionToken string
	// ARN is arn:aws:iam::000000000000:user/local or
	// arn:aws:sts::000000000000:assumed-role/R/S.
	ARN string
	// UserID is what API Gateway puts in requestContext.identity.user and
	// caller: AIDA… for a user, AROA…:session for an assumed role.
	UserID string
}

// ProxyIdentity returns requestContext.identity of a v1 proxy event for a
// call id signed, as API Gateway fills it for an IAM-authorized method
// ($context.identity.* in the API Gateway Developer Guide, "Variables for
// data transformations"): the access key, the caller's account, caller and
// user (its principal ID), its ARN. The Cognito fields stay empty (omitted;
// API Gateway sends null).
func (id Identity) ProxyIdentity(sourceIP, userAgent string) events.APIGatewayRequestIdentity {
	return events.APIGatewayRequestIdentity{
		AccessKey: id.AccessKeyID,
		AccountID: id.AccountID(),
		Caller:    id.UserID,
		User:      id.UserID,
		UserArn:   id.ARN,
		SourceIP:  sourceIP,
		UserAgent: userAgent,
	}
}

// AccountID returns the account of id's ARN, "" if ARN is not one.
func (id Identity) AccountID() string {
	parts := strings.SplitN(id.ARN, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
