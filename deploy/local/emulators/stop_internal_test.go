package emulators

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// Each emulator exits on the signal Stop sends it, so that stopping the local
// cloud takes milliseconds instead of the SIGKILL grace (kinesis-local waits
// on SIGTERM until it is killed).
func TestEachEmulatorExitsOnItsStopSignal(t *testing.T) {
	wd, _ := os.Getwd()
	if _, err := FindRoot(wd); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("emulators not installed: %v", err)
		}
		t.Skipf("emulators not installed (%v); run npm ci", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	emu, err := Start(ctx, Config{Log: t.Output()})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range emu.procs {
		ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok {
			t.Fatalf("%s: no wait status", p.name)
		}
		if ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			t.Errorf("%s ignored %v and had to be killed", p.name, p.stop)
		}
	}
}
