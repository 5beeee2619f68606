// Package sqslocal serves the small part of the SQS API the project uses,
// over the AWS JSON 1.0 protocol the Go SDK speaks, and over the query
// protocol (a form in, XML out) of older clients: CreateQueue, GetQueueUrl,
// ListQueues, GetQueueAttributes, SendMessage, ReceiveMessage (with
// visibility timeout), ChangeMessageVisibility, DeleteMessage and
// PurgeQueue. Anything else is an error naming the operation.
package sqslocal

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server holds queues in memory.
type Server struct {
	Region    string
	AccountID string
	BaseURL   string // set once listening: http://127.0.0.1:port

	mu     sync.Mutex
	queues map[string]*queue
	now    func() time.Time // the clock; time.Now but in tests
}

type queue struct {
	name       string
	attributes map[string]string
	messages   []*message
	visibility time.Duration
	issued     map[string]bool // every receipt handle the queue has handed out
}

type message struct {
	id, body, md5, receipt string
	sent                   time.Time
	received               time.Time // its latest receive
	invisibleUntil         time.Time
	receives               int
}

// New returns an empty server.
func New(region, account string) *Server {
	return &Server{Region: region, AccountID: account, queues: map[string]*queue{}, now: time.Now}
}

// CreateQueue makes a queue (idempotent) and returns its URL and ARN.
func (s *Server) CreateQueue(name string, attrs map[string]string) (url, arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		q = &queue{name: name, attributes: map[string]string{}, visibility: 30 * time.Second, issued: map[string]bool{}}
		s.queues[name] = q
	}
	for k, v := range attrs {
		q.attributes[k] = v
		if k == "VisibilityTimeout" {
			if n, err := strconv.Atoi(v); err == nil {
				q.visibility = time.Duration(n) * time.Second
			}
		}
	}
	return s.url(name), s.arn(name)
}

// DeleteQueue deletes a queue and its messages (nothing when it does not
// exist, as a stack deletion of a queue already gone).
func (s *Server) DeleteQueue(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.queues, name)
}

func (s *Server) url(name string) string { return s.BaseURL + "/" + s.AccountID + "/" + name }
func (s *Server) arn(name string) string {
	return "arn:aws:sqs:" + s.Region + ":" + s.AccountID + ":" + name
}

// Send puts a message on a queue by ARN or name.
func (s *Server) Send(queueARN, body string) error {
	name := queueARN[strings.LastIndexByte(queueARN, ':')+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		return fmt.Errorf("no queue %s", name)
	}
	q.messages = append(q.messages, newMessage(body, s.now()))
	return nil
}

// Depth is how many messages a queue holds.
func (s *Server) Depth(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.queues[name]; ok {
		return len(q.messages)
	}
	return 0
}

func newMessage(body string, sent time.Time) *message {
	sum := md5.Sum([]byte(body))
	return &message{id: newID(), body: body, md5: hex.EncodeToString(sum[:]), sent: sent}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isQuery(r) {
		s.serveQuery(w, r)
		return
	}
	s.serveJSON(w, r)
}

// serveJSON answers the AWS JSON 1.0 protocol.
func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request) {
	var in request
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, &sqsError{"InvalidParameterValue", "the body is not JSON"})
		return
	}
	out, e := s.do(strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS."), in)
	if e != nil {
		fail(w, e)
		return
	}
	ok(w, out)
}

// request is an operation's input as the JSON protocol carries it.
type request map[string]any

func (in request) str(k string) string { v, _ := in[k].(string); return v }

// num is a number member, false if it is absent or not a number.
func (in request) num(k string) (float64, bool) { v, ok := in[k].(float64); return v, ok }

// sqsError is an operation's failure: SQS's error code and message.
type sqsError struct{ code, msg string }

// status is the HTTP status SQS answers the error with: 404 for an
// invalid receipt handle, 400 for the others served here.
func (e *sqsError) status() int {
	if e.code == errBadReceipt.code {
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

var (
	errNoQueue   = &sqsError{"AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."}
	errNoName    = &sqsError{"InvalidParameterValue", "QueueName is required"}
	queueActions = map[string]func(*Server, *queue, request) map[string]any{
		"GetQueueAttributes": (*Server).getQueueAttributes,
		"SendMessage":        (*Server).sendMessage,
		"ReceiveMessage":     (*Server).receiveMessage,
		"DeleteMessage":      (*Server).deleteMessage,
		"PurgeQueue":         (*Server).purgeQueue,
	}
	// ChangeMessageVisibility's errors, as the SQS API reference names them
	// and SQS words them: a handle the queue never issued; a handle of a
	// message not in flight (deleted, visible again, or received again
	// since: only its latest handle counts); a timeout not a whole number
	// of seconds from 0 to 12 h; one that would keep the message in flight
	// past 12 h from its receive.
	errBadReceipt  = &sqsError{"ReceiptHandleIsInvalid", "The specified receipt handle isn't valid."}
	errNotInflight = &sqsError{"AWS.SimpleQueueService.MessageNotInflight", "The message referred to isn't in flight."}
	errVisibility  = &sqsError{"InvalidParameterValue", "Value for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200."}
)

// do runs one operation, whichever protocol carried it.
func (s *Server) do(op string, in request) (map[string]any, *sqsError) {
	if op == "CreateQueue" {
		return s.createQueue(in)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op {
	case "GetQueueUrl":
		if _, found := s.queues[in.str("QueueName")]; !found {
			return nil, errNoQueue
		}
		return map[string]any{"QueueUrl": s.url(in.str("QueueName"))}, nil
	case "ListQueues":
		var urls []string
		for name := range s.queues {
			if strings.HasPrefix(name, in.str("QueueNamePrefix")) {
				urls = append(urls, s.url(name))
			}
		}
		sort.Strings(urls)
		return map[string]any{"QueueUrls": urls}, nil
	}
	action, known := queueActions[op]
	if op == "ChangeMessageVisibility" {
		known = true
	}
	if !known {
		return nil, &sqsError{"UnsupportedOperation", "the local cloud does not implement SQS " + op}
	}
	url := in.str("QueueUrl")
	q := s.queues[url[strings.LastIndexByte(url, '/')+1:]]
	if q == nil {
		return nil, errNoQueue
	}
	if op == "ChangeMessageVisibility" {
		return changeVisibility(q, in, s.now())
	}
	return action(s, q, in), nil
}

// maxInFlight is how long after its receive a message may stay in
// flight, however often its visibility timeout is changed.
const maxInFlight = 12 * time.Hour

// changeVisibility makes a message in flight visible again after
// VisibilityTimeout seconds from now (0: at once), as SQS does.
func changeVisibility(q *queue, in request, now time.Time) (map[string]any, *sqsError) {
	n, isNum := in.num("VisibilityTimeout")
	if !isNum || n < 0 || n > maxInFlight.Seconds() || n != math.Trunc(n) {
		return nil, errVisibility
	}
	receipt := in.str("ReceiptHandle")
	if !q.issued[receipt] {
		return nil, errBadReceipt
	}
	for _, m := range q.messages {
		if m.receipt != receipt || !m.invisibleUntil.After(now) {
			continue
		}
		until := now.Add(time.Duration(n) * time.Second)
		if until.After(m.received.Add(maxInFlight)) {
			return nil, &sqsError{"InvalidParameterValue", fmt.Sprintf("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]", int(n))}
		}
		m.invisibleUntil = until
		return map[string]any{}, nil
	}
	return nil, errNotInflight
}

func (s *Server) createQueue(in request) (map[string]any, *sqsError) {
	name := in.str("QueueName")
	if name == "" {
		return nil, errNoName
	}
	attrs := map[string]string{}
	if a, ok := in["Attributes"].(map[string]any); ok {
		for k, v := range a {
			attrs[k] = fmt.Sprint(v)
		}
	}
	url, _ := s.CreateQueue(name, attrs)
	return map[string]any{"QueueUrl": url}, nil
}

func (s *Server) getQueueAttributes(q *queue, _ request) map[string]any {
	attrs := map[string]string{"QueueArn": s.arn(q.name), "ApproximateNumberOfMessages": strconv.Itoa(len(q.messages)),
		"VisibilityTimeout": strconv.Itoa(int(q.visibility.Seconds()))}
	maps.Copy(attrs, q.attributes)
	return map[string]any{"Attributes": attrs}
}

func (s *Server) sendMessage(q *queue, in request) map[string]any {
	m := newMessage(in.str("MessageBody"), s.now())
	q.messages = append(q.messages, m)
	return map[string]any{"MessageId": m.id, "MD5OfMessageBody": m.md5}
}

// receiveMessage hands out up to MaxNumberOfMessages (1 to 10, default
// 1) visible messages, each invisible for the visibility timeout.
func (s *Server) receiveMessage(q *queue, in request) map[string]any {
	most := 1
	if n, isNum := in.num("MaxNumberOfMessages"); isNum && n >= 1 && n <= 10 {
		most = int(n)
	}
	vis := q.visibility
	if n, isNum := in.num("VisibilityTimeout"); isNum {
		vis = time.Duration(n) * time.Second
	}
	now := s.now()
	var out []map[string]any
	for _, m := range q.messages {
		if len(out) == most {
			break
		}
		if m.invisibleUntil.After(now) {
			continue
		}
		m.receives++
		m.receipt = newID() + newID()
		q.issued[m.receipt] = true
		m.received, m.invisibleUntil = now, now.Add(vis)
		out = append(out, map[string]any{"MessageId": m.id, "ReceiptHandle": m.receipt, "Body": m.body, "MD5OfBody": m.md5,
			"Attributes": map[string]string{"ApproximateReceiveCount": strconv.Itoa(m.receives), "SentTimestamp": strconv.FormatInt(m.sent.UnixMilli(), 10)}})
	}
	return map[string]any{"Messages": out}
}

func (s *Server) deleteMessage(q *queue, in request) map[string]any {
	for i, m := range q.messages {
		if m.receipt != "" && m.receipt == in.str("ReceiptHandle") {
			q.messages = append(q.messages[:i], q.messages[i+1:]...)
			break
		}
	}
	return map[string]any{}
}

func (s *Server) purgeQueue(q *queue, _ request) map[string]any {
	q.messages = nil
	return map[string]any{}
}

func ok(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, e *sqsError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-query-error", e.code+";Sender")
	w.WriteHeader(e.status())
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + strings.TrimPrefix(e.code, "AWS.SimpleQueueService."), "message": e.msg})
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
