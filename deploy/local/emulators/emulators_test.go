package emulators_test

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/emulators"
)

// TestStartAndStopLeaveNothingBehind starts its own pair of emulators, checks
// they answer, and checks by pid that Stop leaves no process behind.
func TestStartAndStopLeaveNothingBehind(t *testing.T) {
	wd, _ := os.Getwd()
	if _, err := emulators.FindRoot(wd); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("emulators not installed: %v", err)
		}
		t.Skipf("emulators not installed (%v); run npm ci", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	emu, err := emulators.Start(ctx, emulators.Config{Log: t.Output()})
	if err != nil {
		t.Fatal(err)
	}
	pids := emu.PIDs()
	if len(pids) != 2 {
		t.Fatalf("want 2 emulator processes, got %v", pids)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("emulator %d not running after Start", pid)
		}
	}
	if err := emu.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("emulator %d still running after Stop", pid)
		}
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d still has members after Stop (%v)", pid, err)
		}
	}
	if err := emu.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
