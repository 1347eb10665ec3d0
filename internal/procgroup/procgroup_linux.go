package procgroup

import "syscall"

// setParentDeathSignal has Linux kill the child if the narrator dies without cleaning up.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
