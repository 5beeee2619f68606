package cloud

import (
	"testing"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/lambda"
)

func ptr[T any](v T) *T { return &v }

// A mapping is refused as CreateEventSourceMapping refuses it, with
// Lambda's own answer; the edges of every range are accepted.
func TestMappingValidatedAsCreateEventSourceMapping(t *testing.T) {
	const (
		age   = "InvalidParameterValueException: MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)"
		below = "ValidationException: 1 validation error detected: Value '"
	)
	for _, tc := range []struct {
		name string
		mod  func(*lambda.EventSourceMapping)
		want string
	}{
		{"batch size 0", func(m *lambda.EventSourceMapping) { m.BatchSize = ptr(0) },
			below + "0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"batch size 10001", func(m *lambda.EventSourceMapping) { m.BatchSize = ptr(10001) },
			below + "10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"window 301 s", func(m *lambda.EventSourceMapping) { m.MaximumBatchingWindowInSeconds = ptr(301) },
			below + "301' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300"},
		{"window -1 s", func(m *lambda.EventSourceMapping) { m.MaximumBatchingWindowInSeconds = ptr(-1) },
			below + "-1' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"record age -2 s", func(m *lambda.EventSourceMapping) { m.MaximumRecordAgeInSeconds = ptr(-2) },
			below + "-2' at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to -1"},
		{"record age 604801 s", func(m *lambda.EventSourceMapping) { m.MaximumRecordAgeInSeconds = ptr(604801) },
			below + "604801' at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 604800"},
		{"record age 0 s", func(m *lambda.EventSourceMapping) { m.MaximumRecordAgeInSeconds = ptr(0) }, age},
		{"record age 1 s", func(m *lambda.EventSourceMapping) { m.MaximumRecordAgeInSeconds = ptr(1) }, age},
		{"record age 59 s", func(m *lambda.EventSourceMapping) { m.MaximumRecordAgeInSeconds = ptr(59) }, age},
		{"retries -2", func(m *lambda.EventSourceMapping) { m.MaximumRetryAttempts = ptr(-2) },
			below + "-2' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to -1"},
		{"retries 10001", func(m *lambda.EventSourceMapping) { m.MaximumRetryAttempts = ptr(10001) },
			below + "10001' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"parallelization 0", func(m *lambda.EventSourceMapping) { m.ParallelizationFactor = ptr(0) },
			below + "0' at 'parallelizationFactor' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"parallelization 11", func(m *lambda.EventSourceMapping) { m.ParallelizationFactor = ptr(11) },
			below + "11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10"},
		{"tumbling window 901 s", func(m *lambda.EventSourceMapping) { m.TumblingWindowInSeconds = ptr(901) },
			below + "901' at 'tumblingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"two at once", func(m *lambda.EventSourceMapping) { m.BatchSize, m.ParallelizationFactor = ptr(0), ptr(11) },
			"ValidationException: 2 validation errors detected: " +
				"Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
				"Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10"},
		{"unknown response type", func(m *lambda.EventSourceMapping) { m.FunctionResponseTypes = []string{"ReportFailures"} },
			below + "[ReportFailures]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: " +
				"[Member must satisfy enum value set: [ReportBatchItemFailures], Member must not be null]"},
		{"unknown starting position", func(m *lambda.EventSourceMapping) { m.StartingPosition = ptr("OLDEST") },
			below + "OLDEST' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]"},
		{"no starting position", func(m *lambda.EventSourceMapping) { m.StartingPosition = nil },
			"InvalidParameterValueException: 1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null."},
		{"lowest values", func(m *lambda.EventSourceMapping) {
			m.BatchSize, m.MaximumBatchingWindowInSeconds, m.MaximumRecordAgeInSeconds = ptr(1), ptr(0), ptr(-1)
			m.MaximumRetryAttempts, m.ParallelizationFactor, m.TumblingWindowInSeconds = ptr(-1), ptr(1), ptr(0)
		}, ""},
		{"lowest finite record age and retries", func(m *lambda.EventSourceMapping) {
			m.MaximumRecordAgeInSeconds, m.MaximumRetryAttempts = ptr(60), ptr(0)
		}, ""},
		{"highest values", func(m *lambda.EventSourceMapping) {
			m.BatchSize, m.MaximumBatchingWindowInSeconds, m.MaximumRecordAgeInSeconds = ptr(10000), ptr(300), ptr(604800)
			m.MaximumRetryAttempts, m.ParallelizationFactor, m.TumblingWindowInSeconds = ptr(10000), ptr(10), ptr(900)
			m.FunctionResponseTypes = []string{"ReportBatchItemFailures"}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := lambda.EventSourceMapping{StartingPosition: ptr("TRIM_HORIZON")}
			tc.mod(&m)
			err := validateMapping(m)
			if got := errText(err); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A valid mapping's settings reach the poller: Enabled: false disables it,
// ParallelizationFactor is kept, the role is the events' invokeIdentityArn,
// and what the template leaves out takes CreateEventSourceMapping's
// defaults.
func TestMappingConfig(t *testing.T) {
	m := lambda.EventSourceMapping{StartingPosition: ptr("LATEST"), Enabled: ptr(false), ParallelizationFactor: ptr(4)}
	cfg := mappingConfig(m, "arn:aws:kinesis:us-east-1:000000000000:stream/s", "s", "arn:aws:iam::000000000000:role/r")
	if !cfg.Disabled || cfg.ParallelizationFactor != 4 || cfg.InvokeIdentityARN != "arn:aws:iam::000000000000:role/r" {
		t.Errorf("config %+v", cfg)
	}
	if cfg.BatchSize != 100 || cfg.BatchWindow != 0 || cfg.MaximumRetryAttempts != -1 || cfg.MaximumRecordAge != -time.Second {
		t.Errorf("defaults %+v: want batch size 100, no window, retries and record age -1", cfg)
	}
	if cfg := mappingConfig(lambda.EventSourceMapping{StartingPosition: ptr("LATEST")}, "", "", ""); cfg.Disabled || cfg.ParallelizationFactor != 1 {
		t.Errorf("an unset Enabled and ParallelizationFactor: %+v, want enabled, 1", cfg)
	}
}
