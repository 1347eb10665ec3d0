package inference

import "syscall"

// setParentDeathSignal kills the worker if narrator itself dies without shutting it down.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
