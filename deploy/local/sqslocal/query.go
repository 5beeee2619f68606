package sqslocal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// queryVersion is the API version of SQS's query protocol.
const queryVersion = "2012-11-05"

// isQuery says whether r speaks SQS's query protocol (a form posted with
// Action and Version, answered in XML), as the AWS CLI and SDKs did before
// SQS took the AWS JSON protocol: Debian 12's awscli 2.9 still does.
func isQuery(r *http.Request) bool {
	return r.Header.Get("X-Amz-Target") == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// serveQuery answers a query-protocol request: the same operations as the
// JSON protocol (do), the form read into the JSON request and the answer
// written as SQS's XML.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	form, perr := url.ParseQuery(string(body))
	if err != nil || perr != nil {
		queryFail(w, http.StatusBadRequest, "MalformedQueryString", "the body is not a form")
		return
	}
	for k, v := range r.URL.Query() {
		if !form.Has(k) {
			form[k] = v
		}
	}
	if form.Get("Version") != queryVersion {
		queryFail(w, http.StatusBadRequest, "InvalidParameterValue", "Version "+form.Get("Version")+": the local SQS serves "+queryVersion)
		return
	}
	action := form.Get("Action")
	res, e := s.do(action, queryInput(form, r.URL.Path))
	if e != nil {
		queryFail(w, e.status(), e.code, e.msg)
		return
	}
	// The answer as the JSON protocol writes it, read back as plain
	// values for writeXML.
	b, _ := json.Marshal(res)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	var x bytes.Buffer
	x.WriteString(`<?xml version="1.0"?>` + "\n<" + action + `Response xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><` + action + "Result>")
	writeXML(&x, out)
	x.WriteString("</" + action + "Result><ResponseMetadata><RequestId>" + newID() + "</RequestId></ResponseMetadata></" + action + "Response>")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(x.Bytes())
}

var attributeRE = regexp.MustCompile(`^Attribute\.(\d+)\.Name$`)

// queryInput is the JSON request a query form stands for: numbers as
// numbers, Attribute.N.Name/Value as Attributes, the queue in QueueUrl or,
// as older clients send it, in the path the form is posted to.
func queryInput(form url.Values, path string) request {
	in := request{}
	attrs := map[string]any{}
	for k := range form {
		v := form.Get(k)
		switch {
		case k == "Action" || k == "Version" || strings.HasPrefix(k, "AttributeName."):
		case k == "MaxNumberOfMessages" || k == "VisibilityTimeout" || k == "WaitTimeSeconds":
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				in[k] = n
			}
		case attributeRE.MatchString(k):
			attrs[v] = form.Get(strings.TrimSuffix(k, "Name") + "Value")
		case !strings.HasPrefix(k, "Attribute."):
			in[k] = v
		}
	}
	if len(attrs) > 0 {
		in["Attributes"] = attrs
	}
	if _, ok := in["QueueUrl"]; !ok && strings.Count(strings.Trim(path, "/"), "/") == 1 {
		in["QueueUrl"] = path
	}
	return in
}

// writeXML writes a JSON answer's members as the query protocol's
// elements: a string as itself, a map as Attribute Name/Value pairs, a
// list as one element per item, named in the singular (QueueUrls:
// QueueUrl, Messages: Message).
func writeXML(x *bytes.Buffer, v map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(v)) {
		switch m := v[k].(type) {
		case string:
			element(x, k, m)
		case map[string]any:
			for _, name := range slices.Sorted(maps.Keys(m)) {
				value, _ := m[name].(string)
				x.WriteString("<Attribute>")
				element(x, "Name", name)
				element(x, "Value", value)
				x.WriteString("</Attribute>")
			}
		case []any:
			one := strings.TrimSuffix(k, "s")
			for _, item := range m {
				if s, ok := item.(string); ok {
					element(x, one, s)
				} else if sub, ok := item.(map[string]any); ok {
					x.WriteString("<" + one + ">")
					writeXML(x, sub)
					x.WriteString("</" + one + ">")
				}
			}
		}
	}
}

func element(x *bytes.Buffer, name, text string) {
	x.WriteString("<" + name + ">")
	_ = xml.EscapeText(x, []byte(text))
	x.WriteString("</" + name + ">")
}

// queryFail writes a query-protocol error.
func queryFail(w http.ResponseWriter, status int, code, msg string) {
	var x bytes.Buffer
	x.WriteString(`<?xml version="1.0"?>` + "\n" + `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>`)
	element(&x, "Code", code)
	element(&x, "Message", msg)
	x.WriteString("<Detail/></Error><RequestId>" + newID() + "</RequestId></ErrorResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(x.Bytes())
}
