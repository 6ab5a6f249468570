//go:build linux

package genlimit

import (
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// ServesInProcess says whether this process listens on baseURL's port: the target is served by
// the process itself (ccload run's embedded mock, a test's server), so the process's CPU and
// memory are the target's too. It finds the listening TCP sockets on that port in
// /proc/self/net/tcp{,6} and looks for one of them among the process's own descriptors.
func ServesInProcess(baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil {
		return false
	}
	port, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil {
		if port = 80; u.Scheme == "https" {
			port = 443
		}
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return false // a remote target is never this process
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && p == port {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return false
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && inodes[l] {
			return true
		}
	}
	return false
}
