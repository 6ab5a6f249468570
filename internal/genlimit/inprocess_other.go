//go:build !linux

package genlimit

// ServesInProcess is unknown on this platform: false (the CPU and memory rules apply).
func ServesInProcess(baseURL string) bool { return false }
