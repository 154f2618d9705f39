//go:build unix && !linux

package localaws

import "syscall"

// sysProcAttr puts a started program in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// childGroups is not known without /proc; the children end when the runtime emulator's
// runtime API closes.
func childGroups(int) []int { return nil }
