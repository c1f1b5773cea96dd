// Copied from ../shared/peers/go-replay/main.go: apart from this line it must stay byte-for-byte the program measured.
// go-replay: the report a NATS user would write by hand in Go, as a yardstick for the project's replay.
//
// It reads every named stream's messages stored in [from, to) with an ephemeral pull consumer (batches of 1000,
// no acks), decodes each payload with encoding/json into a small struct (as a hand-written report would, to look
// at its fields) and counts messages, connects per user and failed decodes. Its last line is one JSON object:
//
//	{"peer":"go-replay","messages":N,"bytes":B,"seconds":S,"msgsPerSec":R,"undecodable":U,"users":K}
//
// Environment: PEER_URL, PEER_USER, PEER_PASS (or PEER_CREDS), PEER_STREAMS (comma-separated), PEER_FROM and
// PEER_TO (RFC 3339 with nanoseconds). Build with Debian's golang-go and golang-github-nats-io-go-nats-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o go-replay .
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-replay: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	from, err := time.Parse(time.RFC3339Nano, os.Getenv("PEER_FROM"))
	must(err, "PEER_FROM")
	to, err := time.Parse(time.RFC3339Nano, os.Getenv("PEER_TO"))
	must(err, "PEER_TO")
	opts := []nats.Option{nats.Name("go-replay")}
	if c := os.Getenv("PEER_CREDS"); c != "" {
		opts = append(opts, nats.UserCredentials(c))
	} else if u := os.Getenv("PEER_USER"); u != "" {
		opts = append(opts, nats.UserInfo(u, os.Getenv("PEER_PASS")))
	}
	nc, err := nats.Connect(os.Getenv("PEER_URL"), opts...)
	must(err, "connect")
	defer nc.Close()
	js, err := nc.JetStream()
	must(err, "jetstream")

	start := time.Now()
	var messages, bytes, undecodable int
	connects := map[string]int{}
	for _, stream := range strings.Split(os.Getenv("PEER_STREAMS"), ",") {
		info, err := js.StreamInfo(stream)
		must(err, "stream info "+stream)
		if info.State.Msgs == 0 || info.State.LastTime.Before(from) {
			continue
		}
		sub, err := js.PullSubscribe("", "", nats.BindStream(stream), nats.StartTime(from), nats.AckNone())
		must(err, "subscribe "+stream)
		done := false
		for !done {
			batch, err := sub.Fetch(1000, nats.MaxWait(5*time.Second))
			if err == nats.ErrTimeout {
				break
			}
			must(err, "fetch "+stream)
			for _, m := range batch {
				meta, err := m.Metadata()
				must(err, "metadata")
				if !meta.Timestamp.Before(to) {
					done = true
					break
				}
				messages++
				bytes += len(m.Data)
				var event struct {
					Type   string `json:"type"`
					Client struct {
						User string `json:"user"`
					} `json:"client"`
				}
				if json.Unmarshal(m.Data, &event) != nil {
					undecodable++
				} else if strings.HasSuffix(m.Subject, ".CONNECT") {
					connects[event.Client.User]++
				}
				if meta.NumPending == 0 {
					done = true
					break
				}
			}
		}
		must(sub.Unsubscribe(), "unsubscribe")
	}
	seconds := time.Since(start).Seconds()
	out, _ := json.Marshal(map[string]any{
		"peer": "go-replay", "messages": messages, "bytes": bytes, "seconds": seconds,
		"msgsPerSec": float64(messages) / seconds, "undecodable": undecodable, "users": len(connects),
	})
	fmt.Println(string(out))
}
