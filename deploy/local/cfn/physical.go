package cfn

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// physical sets res.Ref and res.Attrs as CloudFormation's "Return values"
// of its type document them, from its resolved properties. A name the
// template leaves out is generated as CloudFormation does (stack name,
// logical id, a suffix), here from a hash, so that it is the same at every
// start; a secret's ARN alone has a random part, as on AWS. A type not
// listed gets a generated Ref and no attributes.
func physical(res *Resource, env Env) error {
	n := namer{res: res, env: env}
	if n.store() {
		return nil
	}
	return n.compute()
}

// namer gives one resource its physical names.
type namer struct {
	res *Resource
	env Env
}

func (n namer) arn(service, rest string) string {
	return "arn:aws:" + service + ":" + n.env.Region + ":" + n.env.Account + ":" + rest
}

// name is the resource's prop, or a name generated as CloudFormation does.
func (n namer) name(prop string, max int) string {
	if v, ok := n.res.Properties[prop].(string); ok && v != "" {
		return v
	}
	return generatedName(n.env.StackName, n.res.ID, max)
}

// store names the resources that keep or carry data, and reports whether
// the type is one of them.
func (n namer) store() bool {
	res, a, arn, name, env := n.res, n.res.Attrs, n.arn, n.name, n.env
	switch res.Type {
	case "AWS::Kinesis::Stream":
		n := name("Name", 128)
		res.Ref, a["Arn"] = n, arn("kinesis", "stream/"+n)
	case "AWS::DynamoDB::Table":
		n := name("TableName", 255)
		res.Ref, a["Arn"] = n, arn("dynamodb", "table/"+n)
	case "AWS::SQS::Queue":
		n := name("QueueName", 80)
		if fifo, _ := res.Properties["FifoQueue"].(bool); fifo && !strings.HasSuffix(n, ".fifo") {
			n += ".fifo"
		}
		res.Ref = "https://sqs." + env.Region + ".amazonaws.com/" + env.Account + "/" + n
		a["Arn"], a["QueueName"], a["QueueUrl"] = arn("sqs", n), n, res.Ref
	case "AWS::SNS::Topic":
		n := name("TopicName", 256)
		res.Ref = arn("sns", n)
		a["TopicArn"], a["TopicName"] = res.Ref, n
	case "AWS::CloudWatch::Alarm":
		n := name("AlarmName", 255)
		res.Ref, a["Arn"] = n, arn("cloudwatch", "alarm:"+n)
	case "AWS::CloudWatch::Dashboard":
		res.Ref = name("DashboardName", 255)
	case "AWS::KMS::Key":
		id := uuid(env.StackName + "/" + res.ID)
		res.Ref, a["KeyId"], a["Arn"] = id, id, arn("kms", "key/"+id)
	case "AWS::KMS::Alias":
		res.Ref = name("AliasName", 256)
	case "AWS::Logs::QueryDefinition":
		id := uuid(env.StackName + "/" + res.ID)
		res.Ref, a["QueryDefinitionId"] = id, id
	case "AWS::S3::Bucket":
		n := strings.ToLower(name("BucketName", 63))
		res.Ref = n
		a["Arn"], a["DomainName"] = "arn:aws:s3:::"+n, n+".s3.amazonaws.com"
		a["RegionalDomainName"] = n + ".s3." + env.Region + ".amazonaws.com"
	case "AWS::SecretsManager::Secret":
		// Ref and Id are the ARN, whose name Secrets Manager ends with a
		// hyphen and six random characters: a new secret has a new ARN
		// (the cloud keeps a secret's ARN across updates of its stack).
		res.Ref = arn("secretsmanager", "secret:"+name("Name", 512)+"-"+randomSuffix())
		a["Id"] = res.Ref
	case "AWS::Logs::LogGroup":
		n := name("LogGroupName", 512)
		res.Ref, a["Arn"] = n, arn("logs", "log-group:"+n+":*")
	default:
		return false
	}
	return true
}

// compute names the roles, functions and APIs, and any other type.
func (n namer) compute() error {
	res, a, arn, name, env := n.res, n.res.Attrs, n.arn, n.name, n.env
	switch res.Type {
	case "AWS::IAM::Role":
		return role(res, env, name("RoleName", 64))
	case "AWS::Lambda::Function":
		n := name("FunctionName", 64)
		res.Ref, a["Arn"] = n, arn("lambda", "function:"+n)
	case "AWS::Lambda::Version":
		fn, _ := res.Properties["FunctionName"].(string)
		if !strings.HasPrefix(fn, "arn:") {
			fn = arn("lambda", "function:"+fn)
		}
		res.Ref, a["Version"] = fn+":1", "1"
	case "AWS::Lambda::EventSourceMapping":
		res.Ref, a["Id"] = uuid(env.StackName+"/"+res.ID), uuid(env.StackName+"/"+res.ID)
	case "AWS::ApiGateway::RestApi":
		res.Ref, a["RootResourceId"] = apiID(env.StackName+"/"+res.ID, 10), apiID(env.StackName+"/"+res.ID+"/", 10)
	case "AWS::ApiGateway::Resource", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::RequestValidator":
		res.Ref = apiID(env.StackName+"/"+res.ID, 6)
		if res.Type == "AWS::ApiGateway::Resource" {
			a["ResourceId"] = res.Ref
		}
	default:
		res.Ref = generatedName(env.StackName, res.ID, 128)
	}
	return nil
}

func role(res *Resource, env Env, n string) error {
	path, _ := res.Properties["Path"].(string)
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return fmt.Errorf("role path %q: must begin and end with /", path)
	}
	res.Ref = n
	res.Attrs["Arn"] = "arn:aws:iam::" + env.Account + ":role" + path + n
	res.Attrs["RoleId"] = "AROA" + strings.ToUpper(hash(env.StackName+"/"+res.ID, 17))
	return nil
}

// generatedName is stack-logicalId-SUFFIX, cut to max characters as
// CloudFormation cuts the first two parts.
func generatedName(stack, id string, max int) string {
	suffix := strings.ToUpper(hash(stack+"/"+id, 12))
	head := stack + "-" + id
	if room := max - len(suffix) - 1; len(head) > room {
		head = head[:room]
	}
	return head + "-" + suffix
}

// randomSuffix is six random letters and digits, as Secrets Manager adds
// to a secret's name in its ARN.
func randomSuffix() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24 and later)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// apiID is an API Gateway id: n lowercase letters and digits.
func apiID(seed string, n int) string { return hash(seed, n) }

func hash(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
	return s[:n]
}

// uuid is a version-4-shaped UUID derived from seed.
func uuid(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

func sortStrings(s []string) { sort.Strings(s) }

// As decodes a resolved resource into one of goformation's generated types
// (github.com/awslabs/goformation/v7/cloudformation/<service>), so that its
// properties are read with their types. A property the type's specification
// does not have is an error.
func As[T any](res *Resource) (T, error) {
	var out T
	b, err := json.Marshal(map[string]any{"Type": res.Type, "Properties": res.Properties})
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("%s (%s): %w", res.ID, res.Type, err)
	}
	return out, nil
}

// Check refuses the properties of r that are neither emulated nor accepted,
// naming each: a property that changes behaviour is implemented or stops
// the start, never ignored. Accepted properties (no local effect: tags,
// encryption) come back as notes.
func (r *Resource) Check(emulated, accepted []string) (notes []string, err error) {
	kind := map[string]int{}
	for _, k := range emulated {
		kind[k] = 1
	}
	for _, k := range accepted {
		kind[k] = 2
	}
	var bad []string
	for k := range r.Properties {
		switch kind[k] {
		case 0:
			bad = append(bad, "Properties."+k)
		case 2:
			notes = append(notes, fmt.Sprintf("%s (%s): %s accepted, no local effect", r.ID, r.Type, k))
		}
	}
	sort.Strings(notes)
	if len(bad) > 0 {
		sort.Strings(bad)
		return notes, fmt.Errorf("%s: not supported by the local cloud", strings.Join(bad, ", "))
	}
	return notes, nil
}
