package main

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// debianAWS is Debian's AWS CLI (package awscli, /usr/bin/aws), which make
// test installs when it runs as root; another aws earlier in PATH (pip's,
// pyenv's) is not the one tested.
func debianAWS(t *testing.T) string {
	t.Helper()
	const bin = "/usr/bin/aws"
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	const why = "Debian's awscli is not installed (/usr/bin/aws): make test installs it when run as root (apt-get install awscli)"
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
	return ""
}

// documentedAWSCommands are the "$ aws …" lines of docs/local-cloud.md's
// Daily use section, without the "$ ".
func documentedAWSCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, "docs/local-cloud.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Daily use\n")
	if !ok {
		t.Fatal("docs/local-cloud.md has no Daily use section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var cmds []string
	for line := range strings.Lines(section) {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "$ aws "); ok {
			cmds = append(cmds, "aws "+cmd)
		}
	}
	return cmds
}

// The AWS CLI commands docs/local-cloud.md shows, run as shown by Debian's
// AWS CLI in bash from the repository's root, with the export lines of
// moviepipe-local env evaluated first, drive the running cloud: the
// stream's summary, a film the processor stored, the query API invoked on
// an API Gateway event, the on-failure queue's attributes.
func TestAWSCLIAsDocumented(t *testing.T) {
	aws := debianAWS(t)
	_, getenv := runningCloud(t)
	if code, out, stderr := moviepipeLocal(t, getenv, "invoke", "processor", "-e", repoFile(t, "processor/testdata/events/kinesis-batch.json")); code != 0 {
		t.Fatalf("storing the sample batch's film: exit %d\n%s\n%s", code, out, stderr)
	}
	code, exports, stderr := moviepipeLocal(t, getenv, "env")
	if code != 0 {
		t.Fatalf("env: exit %d: %s", code, stderr)
	}
	want := map[string][]string{ // what each documented command must print
		"aws kinesis describe-stream-summary": {`"status": "ACTIVE"`},
		"aws dynamodb get-item":               {`"Le Fabuleux destin d’Amélie Poulain"`},
		"aws lambda invoke":                   {`"statusCode":200`, `mv-le-fabuleux-destin-d-amelie-poulain-2001-0b7e11c2`, `"StatusCode": 200`},
		"aws sqs get-queue-attributes":        {`"QueueArn": "arn:aws:sqs:us-east-1:000000000000:moviepipe-local-stream-failures"`, `"ApproximateNumberOfMessages": "0"`},
	}
	keys := slices.Sorted(maps.Keys(want))
	var ran []string
	for _, cmd := range documentedAWSCommands(t) {
		i := slices.IndexFunc(keys, func(k string) bool { return strings.HasPrefix(cmd, k+" ") })
		if i < 0 {
			t.Errorf("a documented command this test does not check: %s", cmd)
			continue
		}
		prefix := keys[i]
		ran = append(ran, prefix)
		sh := exec.CommandContext(t.Context(), "bash", "-euo", "pipefail", "-c", exports+"\n"+cmd)
		sh.Dir = repoFile(t, ".")
		sh.Env = append(os.Environ(), "PATH="+filepath.Dir(aws)+":"+os.Getenv("PATH"))
		out, err := sh.CombinedOutput()
		t.Logf("$ %s\n%s", cmd, out)
		if err != nil {
			t.Errorf("%s: %v\n%s", cmd, err, out)
			continue
		}
		for _, w := range want[prefix] {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: no %s in\n%s", cmd, w, out)
			}
		}
	}
	for prefix := range want {
		if !slices.Contains(ran, prefix) {
			t.Errorf("docs/local-cloud.md's Daily use shows no %s command", prefix)
		}
	}
}
