package report

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// HdrHistogram V2 cookies (hdrhistogram-go's hdr_encoding.go): the payload cookie, and the compressed wrapper's.
const (
	v2EncodingCookie           = hdrhistogram.V2EncodingCookieBase | 0x10
	v2CompressedEncodingCookie = hdrhistogram.V2CompressedEncodingCookieBase | 0x10
)

// histEncoder writes HdrHistogram's V2 compressed encoding (base64), the format hdrhistogram.Decode
// and every other HdrHistogram implementation read. hdrhistogram-go's own Encode allocates a
// best-compression zlib writer (about 1 MB) and a slice per counter on every call; this one reuses
// its buffers and writer, so closing a time-series interval or taking a Snapshot stays cheap.
type histEncoder struct {
	payload []byte
	raw     bytes.Buffer
	zbuf    bytes.Buffer
	zw      *zlib.Writer
	out     []byte
}

var encoders = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.DefaultCompression) // a valid level never errs
	return &histEncoder{zw: zw}
}}

// EncodeHistogram returns h's compressed encoding (base64), or "" for an empty histogram: the
// form every histogram takes in report.json, written by the recorder and the merge.
func EncodeHistogram(h *hdrhistogram.Histogram) string {
	if h.TotalCount() == 0 {
		return ""
	}
	e := encoders.Get().(*histEncoder)
	s := e.encode(h)
	encoders.Put(e)
	return s
}

func (e *histEncoder) encode(h *hdrhistogram.Histogram) string {
	snap := h.Export()
	counts := snap.Counts
	last := len(counts) - 1
	for last >= 0 && counts[last] == 0 {
		last--
	}
	// Payload: ZigZag LEB128 counts; a run of n > 1 zero counters is written as -n.
	p := e.payload[:0]
	for i := 0; i <= last; {
		c := counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i <= last && counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				c = -zeros
			}
		}
		p = appendZigZag(p, c)
	}
	e.payload = p

	// Header (40 bytes, big endian), then the payload, zlib-compressed.
	var hdr [40]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(v2EncodingCookie))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(p)))
	binary.BigEndian.PutUint32(hdr[8:], 0) // normalizing index offset: counts are unrotated
	binary.BigEndian.PutUint32(hdr[12:], uint32(snap.SignificantFigures))
	binary.BigEndian.PutUint64(hdr[16:], uint64(snap.LowestTrackableValue))
	binary.BigEndian.PutUint64(hdr[24:], uint64(snap.HighestTrackableValue))
	binary.BigEndian.PutUint64(hdr[32:], math.Float64bits(1)) // integer-to-double conversion ratio
	e.zbuf.Reset()
	e.zw.Reset(&e.zbuf)
	e.zw.Write(hdr[:]) // writes to a bytes.Buffer cannot fail
	e.zw.Write(p)
	e.zw.Close()

	// Wrapper: compressed cookie, compressed length, compressed bytes; then base64.
	e.raw.Reset()
	var w [8]byte
	binary.BigEndian.PutUint32(w[0:], uint32(v2CompressedEncodingCookie))
	binary.BigEndian.PutUint32(w[4:], uint32(e.zbuf.Len()))
	e.raw.Write(w[:])
	e.raw.Write(e.zbuf.Bytes())
	n := base64.StdEncoding.EncodedLen(e.raw.Len())
	if cap(e.out) < n {
		e.out = make([]byte, n)
	}
	e.out = e.out[:n]
	base64.StdEncoding.Encode(e.out, e.raw.Bytes())
	return string(e.out)
}

// appendZigZag appends v in ZigZag LEB128 (HdrHistogram's "LEB128-64b9B": at most 9 bytes, the 9th holding 8 bits).
func appendZigZag(b []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	for i := 0; i < 8; i++ {
		if u < 0x80 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u))
}
