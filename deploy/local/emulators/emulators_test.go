package emulators

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestStartAndStopLeaveNothingBehind starts its own pair of emulators, checks
// they answer, and checks by pid that Stop leaves no process behind. Each
// emulator must exit on the signal Stop sends it, so that stopping the local
// cloud takes milliseconds instead of the SIGKILL grace (kinesis-local waits
// on SIGTERM until it is killed).
func TestStartAndStopLeaveNothingBehind(t *testing.T) {
	wd, _ := os.Getwd()
	if _, err := FindRoot(wd); err != nil {
		t.Fatalf("emulators not installed (%v); run npm ci", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	emu, err := Start(ctx, Config{Log: t.Output()})
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
	for _, p := range emu.procs {
		ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok {
			t.Fatalf("%s: no wait status", p.name)
		}
		if ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			t.Errorf("%s ignored %v and had to be killed", p.name, p.stop)
		}
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
