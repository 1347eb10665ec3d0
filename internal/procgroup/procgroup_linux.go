package procgroup

import (
	"bytes"
	"errors"
	"iter"
	"os"
	"strconv"
	"syscall"
)

// setParentDeathSignal has Linux kill the child if the narrator dies without cleaning up.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// killLeftovers kills the live processes of group pgid other than the one whose id is pgid:
// the group's leader has been reaped, so a process with that id is not the leader any more.
func killLeftovers(pgid int) error {
	if pgid <= 0 {
		return nil
	}
	var errs []error
	for pid := range members(pgid) {
		if pid == pgid {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// groupAlive reports whether a process of group pgid still runs. Zombies do not count: they have
// exited and only wait to be reaped, which a container whose init does not reap never does.
func groupAlive(pgid int) bool {
	if pgid <= 0 || syscall.Kill(-pgid, 0) != nil {
		return false
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return true // cannot tell zombies apart: the signal check says the group exists
	}
	for range members(pgid) {
		return true
	}
	return false
}

// members yields the ids of the processes of group pgid that have not exited (zombies left
// out), from /proc.
func members(pgid int) iter.Seq[int] {
	return func(yield func(int) bool) {
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil {
				continue // exited meanwhile
			}
			state, group, ok := parseStat(stat)
			if ok && group == pgid && state != 'Z' && state != 'X' && !yield(pid) {
				return
			}
		}
	}
}

// parseStat reads the state and the process group from a /proc/PID/stat line. The command name
// is in parentheses and may itself hold spaces and parentheses, so fields are counted from the
// last ')'.
func parseStat(stat []byte) (state byte, pgid int, ok bool) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, 0, false
	}
	// After ")": " S PPID PGRP ..."
	fields := bytes.Fields(stat[end+1:])
	if len(fields) < 3 || len(fields[0]) != 1 {
		return 0, 0, false
	}
	pgid, err := strconv.Atoi(string(fields[2]))
	if err != nil {
		return 0, 0, false
	}
	return fields[0][0], pgid, true
}
