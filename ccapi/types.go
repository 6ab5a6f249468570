// Package ccapi is the wire contract of the ccmessaging open API: request and
// response types, the field rules of the reference document, and a client that
// load generators can afford on their hot path.
package ccapi

// ControlType says what a sendAsync message does to the session.
type ControlType string

// The controlType values the reference document allows.
const (
	Connect     ControlType = "CONNECT"
	Chat        ControlType = "CHAT"
	Trans2Agent ControlType = "TRANS2AGENT"
	Input       ControlType = "INPUT"
	Disconnect  ControlType = "DISCONNECT"
	Read        ControlType = "READ"
)

// ControlTypes lists every valid controlType, in the document's order, for validation messages.
var ControlTypes = []ControlType{Connect, Chat, Trans2Agent, Input, Disconnect, Read}

// MediaType says how the platform interprets a message's content.
type MediaType string

// The mediaType values the reference document allows (LOCATE only on send).
const (
	Text         MediaType = "TEXT"
	Image        MediaType = "IMAGE"
	Audio        MediaType = "AUDIO"
	Video        MediaType = "VIDEO"
	File         MediaType = "FILE"
	FileImage    MediaType = "FILE_IMAGE"
	FileVideo    MediaType = "FILE_VIDEO"
	WebCardMedia MediaType = "WEBCARD"
	Locate       MediaType = "LOCATE"
	Document     MediaType = "DOCUMENT"
)

// MediaTypes lists the mediaType values sendAsync accepts.
var MediaTypes = []MediaType{Text, Image, Audio, Video, File, FileImage, FileVideo, WebCardMedia}

// SourceType says who wrote a message: the customer upstream, a robot, agent or the system downstream.
type SourceType string

// The sourceType values seen on the wire.
const (
	SourceCustomer SourceType = "CUSTOMER"
	SourceRobot    SourceType = "ROBOT"
	SourceAgent    SourceType = "AGENT"
	SourceSystem   SourceType = "SYSTEM"
)

// Endpoint names one API call, so samples and stats can be grouped without string compares.
type Endpoint uint8

// The endpoints of the API family.
const (
	EpTokenByAkSk Endpoint = iota
	EpApplyToken
	EpSendAsync
	EpSend
	EpPoll
	EpQueryQueueInfo
	EpUploadFileStream
	NumEndpoints
)

var endpointNames = [...]string{"tokenByAkSk", "applyToken", "sendAsync", "send", "poll", "queryQueueInfo", "uploadFileStream"}

// String returns the endpoint's name as it appears in the URL path and in reports.
func (e Endpoint) String() string {
	if e < NumEndpoints {
		return endpointNames[e]
	}
	return "unknown"
}

// Paths holds the URL path of every endpoint, so deployments that mount the API elsewhere can say so.
type Paths struct {
	TokenByAkSk      string `yaml:"token_by_ak_sk" json:"token_by_ak_sk"`
	ApplyToken       string `yaml:"apply_token" json:"apply_token"`
	SendAsync        string `yaml:"send_async" json:"send_async"`
	Send             string `yaml:"send" json:"send"`
	Poll             string `yaml:"poll" json:"poll"`
	QueryQueueInfo   string `yaml:"query_queue_info" json:"query_queue_info"`
	UploadFileStream string `yaml:"upload_file_stream" json:"upload_file_stream"`
}

// DefaultPaths are the paths of the reference document.
var DefaultPaths = Paths{
	TokenByAkSk:      "/apigovernance/api/oauth/tokenByAkSk",
	ApplyToken:       "/apiaccess/ccmessaging/applyToken",
	SendAsync:        "/apiaccess/ccmessaging/sendAsync",
	Send:             "/apiaccess/ccmessaging/send",
	Poll:             "/apiaccess/ccmessaging/poll",
	QueryQueueInfo:   "/apiaccess/ccmessaging/queryQueueInfo",
	UploadFileStream: "/apiaccess/ccmessaging/uploadFileStream",
}

// Path returns the path of endpoint e, falling back to the default for empty fields.
func (p Paths) Path(e Endpoint) string {
	var s, d string
	switch e {
	case EpTokenByAkSk:
		s, d = p.TokenByAkSk, DefaultPaths.TokenByAkSk
	case EpApplyToken:
		s, d = p.ApplyToken, DefaultPaths.ApplyToken
	case EpSendAsync:
		s, d = p.SendAsync, DefaultPaths.SendAsync
	case EpSend:
		s, d = p.Send, DefaultPaths.Send
	case EpPoll:
		s, d = p.Poll, DefaultPaths.Poll
	case EpQueryQueueInfo:
		s, d = p.QueryQueueInfo, DefaultPaths.QueryQueueInfo
	case EpUploadFileStream:
		s, d = p.UploadFileStream, DefaultPaths.UploadFileStream
	}
	if s == "" {
		return d
	}
	return s
}

// Header names used on every call.
const (
	HeaderToken         = "ccmessaging-token"
	HeaderAppKey        = "x-app-key"
	HeaderAuthorization = "Authorization"
	HeaderTokenExpire   = "X-Token-Expire"
)

// SendMsgReq is the body of sendAsync and send (the document's sendMsgReq), field names exactly as on the wire.
// Optional fields that the document's examples send as null are pointers-free strings here; the
// encoder writes them as null when empty so bodies look like the platform's own clients'.
type SendMsgReq struct {
	Channel        string      `json:"channel"`
	Content        string      `json:"content"`
	ControlType    ControlType `json:"controlType"`
	From           string      `json:"from"`
	MediaType      MediaType   `json:"mediaType"`
	SenderNickname string      `json:"senderNickname,omitempty"`
	SourceType     SourceType  `json:"sourceType"`
	Timestamp      string      `json:"timestamp,omitempty"`
	To             string      `json:"to"`
	UserAgent      string      `json:"userAgent,omitempty"`
	SenderAvatar   string      `json:"senderAvatar,omitempty"`
	MessageID      string      `json:"messageId,omitempty"`
	TransData      string      `json:"transData,omitempty"`
	// ContentJSON, when set, is Content already escaped for the inside of a JSON string
	// (what AppendJSONEscaped appends for it): the runner renders a template's constant text
	// escaped once, at load, and escapes per request only the values that change.
	// AppendSendMsgReq copies it instead of escaping Content; it is not sent as a field.
	// The caller keeps it equal to Content's escaped form (TestContentJSONOnTheWire).
	ContentJSON string `json:"-"`
}

// SendMsgRsp is the answer of sendAsync and send.
type SendMsgRsp struct {
	ResultCode string `json:"resultCode"`
	ResultDesc string `json:"resultDesc,omitempty"`
}

// WebCard is the JSON structure a WEBCARD message carries, as a string, in content.
type WebCard struct {
	Title         string `json:"title,omitempty"`
	Description   string `json:"description,omitempty"`
	MediaFileID   string `json:"mediaFileId,omitempty"`
	MediaFileType string `json:"mediaFileType,omitempty"`
	RedirectURL   string `json:"redirectUrl,omitempty"`
}

// TokenByAkSkReq is the body of tokenByAkSk.
type TokenByAkSkReq struct {
	AppKey    string `json:"app_key"`
	AppSecret string `json:"app_secret"`
}

// TokenByAkSkRsp is the answer of tokenByAkSk; every field is a string on the wire.
type TokenByAkSkRsp struct {
	AccessToken string `json:"AccessToken"`
	ApplyType   string `json:"ApplyType"`
	CreateTime  string `json:"CreateTime"`
	Expires     string `json:"Expires"`
	Scope       string `json:"Scope"`
	AppKey      string `json:"AppKey"`
	UserID      string `json:"UserID"`
}

// AuthFailRsp is the body of a 403 for an expired or illegal AccessToken.
type AuthFailRsp struct {
	ErrorCode     string `json:"errorCode"`
	ExceptionInfo string `json:"exceptionInfo"`
}

// ApplyTokenReq is the body of applyToken, which issues one customer's ccmessaging-token.
type ApplyTokenReq struct {
	UserID    string `json:"userId"`
	UserName  string `json:"userName,omitempty"`
	ChannelID string `json:"channelId"`
	Locale    string `json:"locale,omitempty"`
}

// ApplyTokenRsp is the answer of applyToken; resultCode "1" is failure.
type ApplyTokenRsp struct {
	ResultCode string `json:"resultCode"`
	Token      string `json:"token,omitempty"`
	ResultDesc string `json:"resultDesc,omitempty"`
}

// DownlinkMessage is one message the platform sends down to a customer (robot, agent or system).
type DownlinkMessage struct {
	Channel         string      `json:"channel"`
	From            string      `json:"from"`
	To              string      `json:"to"`
	ControlType     ControlType `json:"controlType"`
	MediaType       MediaType   `json:"mediaType"`
	Content         string      `json:"content"`
	SenderNickname  string      `json:"senderNickname,omitempty"`
	SourceType      SourceType  `json:"sourceType"`
	Timestamp       int64       `json:"timestamp"`
	MessageCode     string      `json:"messageCode,omitempty"`
	IsOfflineStatus bool        `json:"isOfflineStatus,omitempty"`
	SenderAvatar    string      `json:"senderAvatar,omitempty"`
	CallID          string      `json:"callId,omitempty"`
}

// PollRsp is the answer of poll.
type PollRsp struct {
	ResultCode       string            `json:"resultCode"`
	ResultDesc       string            `json:"resultDesc,omitempty"`
	DownlinkMessages []DownlinkMessage `json:"downlinkMessages"`
}

// QueueInfoReq is the body of queryQueueInfo.
type QueueInfoReq struct {
	UserID          string `json:"userId"`
	ChannelConfigID string `json:"channelConfigId"`
	Channel         string `json:"channel"`
}

// QueueInfoRsp is the answer of queryQueueInfo; times are seconds. resultCode "0" means still queuing.
type QueueInfoRsp struct {
	Position              int    `json:"position"`
	TotalWaitTime         int    `json:"totalWaitTime"`
	CurrentDeviceWaitTime int    `json:"currentDeviceWaitTime"`
	ConfigMaxcWaitTime    int    `json:"configMaxcWaitTime"`
	LongestWaitTime       int    `json:"longestWaitTime"`
	EstimateWaitTime      int    `json:"estimateWaitTime"`
	ResultCode            string `json:"resultCode"`
	ResultDesc            string `json:"resultDesc,omitempty"`
}

// Queue result codes of queryQueueInfo that the mock and runner act on.
const (
	QueueQueuing        = "0"
	QueueSessionEnded   = "5"
	QueueSessionExpired = "6"
	QueueSessionMissing = "160004"
	QueueWithAgent      = "160021"
)

// QueueStatus says whether a queryQueueInfo resultCode is a status the client acts on (still
// queuing, already with an agent, the session ended, expired or missing) rather than an error.
func QueueStatus(code string) bool {
	switch code {
	case QueueQueuing, QueueSessionEnded, QueueSessionExpired, QueueSessionMissing, QueueWithAgent:
		return true
	}
	return false
}

// UploadReq is the body of uploadFileStream.
type UploadReq struct {
	FileType   string `json:"fileType"`
	Channel    string `json:"channel"`
	FileStream string `json:"fileStream"`
}

// UploadRsp is the answer of uploadFileStream (note returnCode, not resultCode).
type UploadRsp struct {
	ReturnCode string `json:"returnCode"`
	ObjectKey  string `json:"objectKey,omitempty"`
	ResultDesc string `json:"resultDesc,omitempty"`
}

// UploadFileTypes are the file types uploadFileStream accepts (compared case-insensitively).
var UploadFileTypes = []string{"JPG", "JPEG", "PNG", "BMP", "MP3", "AAC", "MP4", "TXT", "CSV"}
