package ccapi

// API CONTRACT (fixed by the integrator; the ccapi helper implements it and may
// move it into client.go, keeping these names and meanings).

import (
	"context"
	"time"
)

// ErrKind classifies how one HTTP exchange ended. Its order matches report.ErrClass
// so the runner converts with report.ErrClass(kind).
type ErrKind uint8

// Exchange outcomes.
const (
	KindOK          ErrKind = iota
	KindApp                 // HTTP 2xx, resultCode (returnCode) not "0"
	KindHTTP                // HTTP status outside 2xx
	KindTimeout             // request timed out
	KindRefused             // connection refused
	KindReset               // connection reset / closed mid-exchange / EOF
	KindUnparseable         // 2xx with a body that does not decode
	KindCanceled            // the caller's context was cancelled
	KindOther               // any other transport failure
	KindClient              // not sent: a field broke a rule (Validate)
)

// Config configures a Client. Secrets in it are never printed by this package.
type Config struct {
	// BaseURL is scheme://host[:port] of the platform (or the mock).
	BaseURL string
	Paths   Paths
	// UseSend sends messages to /send instead of /sendAsync.
	UseSend bool
	// AppKey goes in x-app-key on every call; with AppSecret it fetches AccessTokens by tokenByAkSk.
	AppKey    string
	AppSecret string
	// AccessToken, when set, is used as is and tokenByAkSk is never called.
	AccessToken string
	// TokenLifetime is sent as X-Token-Expire (default 600s); the token is renewed before it runs out.
	TokenLifetime time.Duration
	// Timeout bounds each exchange (default 10s).
	Timeout time.Duration
	// MaxConns bounds the connections the shared transport opens to the target (default 256).
	MaxConns           int
	InsecureSkipVerify bool
}

// Call is one HTTP exchange as the client saw it. A Customer reuses its Call values:
// a *Call is valid until that customer's next call.
type Call struct {
	Endpoint    Endpoint
	ControlType ControlType // for send calls; "" otherwise
	Start, End  time.Time
	Status      int    // 0 when no HTTP answer arrived
	ResultCode  string // resultCode / returnCode of the body, "" when none
	Kind        ErrKind
	Err         error // nil when Kind is KindOK, KindApp or KindHTTP
	BytesSent   int
	BytesRecv   int
	// Retry is true for the second attempt after a 401/403 re-apply.
	Retry bool
}

// Client is shared by every virtual customer of a run: one transport, one AccessToken source.
// Safe for concurrent use.
//
//	func NewClient(cfg Config) (*Client, error)
//	func (c *Client) Close()
//	func (c *Client) AccessToken(ctx context.Context) (string, error) // cached; one fetch in flight
//	func (c *Client) NewCustomer(userID string) *Customer
//
// Customer is one virtual customer's view: its userId, its ccmessaging-token, its reusable
// buffers. Not safe for concurrent use, except that Poll may run on one goroutine while
// the others run on another (the customer keeps separate buffers for poll).
//
//	cu.Observe func(*Call)          // called for EVERY exchange: token calls, retries and final ones
//	cu.SetToken(tok string)         // static ccmessaging-token
//	cu.ApplyToken(ctx, userName, channelID, locale string) *Call
//	cu.Send(ctx, req *SendMsgReq) *Call
//	cu.Poll(ctx, channel string, dst []DownlinkMessage) ([]DownlinkMessage, *Call)
//	cu.QueryQueueInfo(ctx, req *QueueInfoReq) (*QueueInfoRsp, *Call)
//	cu.Upload(ctx, req *UploadReq) (objectKey string, c *Call)
var _ = context.Background
