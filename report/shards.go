package report

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// ShardID says which slice of a run a report holds, so a merge can tell a complete set from a
// duplicate or a mix of runs.
type ShardID struct {
	I int `json:"i"`
	N int `json:"n"`
}

// String formats the shard as I/N, as ccload run --shard takes it.
func (s ShardID) String() string { return strconv.Itoa(s.I) + "/" + strconv.Itoa(s.N) }

// ScenarioHash is the identity report.json gives a scenario text, so shards of one run can prove
// they ran the same file ("" for no text).
func ScenarioHash(text string) string {
	if text == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// shardWarningText ends the warning a shard's report carries; Merge drops that warning, since
// the merged report is the whole run.
const shardWarningText = "this report holds one slice of the run; merge the shards with ccload merge"

// ShardWarning is the warning a shard's report carries, so a reader of one shard's numbers
// knows they are a slice; Merge recognises and drops it.
func ShardWarning(shard string) string { return "shard " + shard + ": " + shardWarningText }

// IsShardWarning says whether w is the warning ShardWarning writes, so the merge, which is what
// that warning asks for, can drop it.
func IsShardWarning(w string) bool { return strings.HasSuffix(w, shardWarningText) }
