package cloud

import (
	"slices"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// A REST API's BinaryMediaTypes reach its routes; a property the local
// gateway does not emulate still stops the start, naming it.
func TestRestAPIBinaryMediaTypes(t *testing.T) {
	restAPI := func(props map[string]any) *cfn.Resource {
		return &cfn.Resource{ID: "ApiGatewayRestApi", Type: "AWS::ApiGateway::RestApi", Ref: "a1b2c3", Attrs: map[string]string{"RootResourceId": "r00t"},
			Properties: props}
	}
	d := &declared{}
	err := d.api(restAPI(map[string]any{"Name": "local-moviepipe-api", "EndpointConfiguration": map[string]any{"Types": []any{"EDGE"}},
		"BinaryMediaTypes": []any{"image/png", "application/*"}}))
	if err != nil || len(d.apis) != 1 {
		t.Fatalf("%v %d", err, len(d.apis))
	}
	if a := d.apis[0]; a.name != "local-moviepipe-api" || !slices.Equal(a.binaryMediaTypes, []string{"image/png", "application/*"}) {
		t.Errorf("name %q, binaryMediaTypes %q", a.name, a.binaryMediaTypes)
	}
	err = (&declared{}).api(restAPI(map[string]any{"Name": "x", "ApiKeySourceType": "HEADER"}))
	if err == nil || !strings.Contains(err.Error(), "Properties.ApiKeySourceType") {
		t.Errorf("an unemulated property: %v", err)
	}
}
