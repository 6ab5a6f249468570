package scenario

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"unicode/utf8"
)

// Size limits on the files a scenario reads, enforced while reading (a file may grow or lie in stat).
const (
	// MaxScenarioBytes bounds a scenario file: a scenario is a page of YAML, not a data set.
	MaxScenarioBytes = 4 << 20
	// MaxDataBytes bounds a feeder's csv or lines file: it is held in memory for the whole run.
	MaxDataBytes = 256 << 20
)

// readRegular reads the regular file at path, at most limit bytes, so a device, a FIFO or a
// symlink to one is refused instead of hanging the loader or filling memory.
func readRegular(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path) // follows symlinks: a link to /dev/zero is a device
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s); give a plain file", kindOf(fi.Mode()))
	}
	// O_NONBLOCK: should path be swapped for a FIFO after the stat, open does not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s); give a plain file", kindOf(fi.Mode()))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes, the most this file may hold (it is read into memory)", limit)
	}
	return data, nil
}

func kindOf(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not regular"
}

// badText finds the first NUL byte or invalid UTF-8 sequence in data and returns its 1-based
// line and column (column in characters), so the error points at it instead of at 1:1.
func badText(data []byte) (line, col int, msg string, found bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		c := data[i]
		if c == 0 {
			return line, col, "a NUL byte: a scenario is UTF-8 text", true
		}
		if c == '\n' {
			line, col = line+1, 1
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, col, fmt.Sprintf("invalid UTF-8 (byte 0x%02x): save the file as UTF-8", c), true
		}
		i += size
		col++
	}
	return 0, 0, "", false
}
