// Command host is a HashiCorp go-plugin host, as a Go application runs its plugins, that starts a GrpcPlugins
// plugin (its command and arguments follow on the command line), signs in through its auth contract, reads the first
// line the plugin sends through go-plugin's plugin.GRPCStdio (as go-plugin 1.3+ hosts do; 1.0.1 has no client for
// it), then calls Kill(). It prints one JSON object on stdout: the sign-in's token, the stdio line, the plugin's pid
// and socket address, how long Kill() took and the plugin's exit code (0 when it stopped by itself; -1 when
// go-plugin had to kill it).
// Its go-plugin log goes to stderr.
// With -broker first, it also serves an auth helper through go-plugin's broker (AcceptAndServe on a new id, the
// "bidirectional" pattern) and signs in as user "broker" with that id as password, so the plugin dials the helper
// during the call; the answer's token is the JSON's "broker".
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/golang/protobuf/ptypes/empty"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	authv1 "grpcplugins/grpcplugins/auth/v1"
	stdio "third_party/goplugin"
)

var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "GRPCPLUGINS_GO_TEST_COOKIE",
	MagicCookieValue: "go-plugin-test",
}

type contracts struct {
	plugin.NetRPCUnsupportedPlugin
}

// dispensed is what Dispense returns: the connection to the plugin, and go-plugin's broker to it.
type dispensed struct {
	conn   *grpc.ClientConn
	broker *plugin.GRPCBroker
}

func (contracts) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (contracts) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return dispensed{conn: conn, broker: broker}, nil
}

// helper is the auth service the host serves the plugin through the broker: it signs anyone in.
type helper struct {
	authv1.UnimplementedAuthServiceServer
}

func (*helper) Authenticate(_ context.Context, req *authv1.AuthenticateRequest) (*authv1.AuthenticateResponse, error) {
	return &authv1.AuthenticateResponse{Result: &authv1.AuthResult{Token: "go-host-helper-" + req.Username, User: &authv1.User{Id: "h-1", Username: req.Username}}}, nil
}

type result struct {
	Token    string  `json:"token"`
	Broker   string  `json:"broker,omitempty"`
	Stdio    string  `json:"stdio"`
	Pid      int     `json:"pid"`
	Address  string  `json:"address"`
	KillMs   float64 `json:"killMs"`
	ExitCode int     `json:"exitCode"`
	Error    string  `json:"error,omitempty"`
}

func main() {
	args := os.Args[1:]
	withBroker := len(args) > 0 && args[0] == "-broker"
	if withBroker {
		args = args[1:]
	}
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: host [-broker] COMMAND [ARGS...]")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	cmd := exec.Command(args[0], args[1:]...)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          map[string]plugin.Plugin{"contracts": contracts{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "host", Output: os.Stderr, Level: hclog.Debug}),
	})
	fail := func(err error) {
		client.Kill()
		out.Encode(result{Error: err.Error()})
		os.Exit(1)
	}
	rpc, err := client.Client()
	if err != nil {
		fail(err)
	}
	raw, err := rpc.Dispense("contracts")
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := raw.(dispensed)
	var r result
	if withBroker {
		id := d.broker.NextId()
		go d.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			authv1.RegisterAuthServiceServer(s, &helper{})
			return s
		})
		viaBroker, err := authv1.NewAuthServiceClient(d.conn).Authenticate(ctx, &authv1.AuthenticateRequest{
			Type: authv1.AuthType_AUTH_TYPE_PASSWORD, Username: "broker", Password: fmt.Sprint(id),
		})
		if err != nil {
			fail(err)
		}
		r.Broker = viaBroker.Result.Token
		client.Kill()
		out.Encode(r)
		return
	}
	reply, err := authv1.NewAuthServiceClient(d.conn).Authenticate(ctx, &authv1.AuthenticateRequest{
		Type: authv1.AuthType_AUTH_TYPE_PASSWORD, Username: "alice", Password: "secret",
	})
	if err != nil {
		fail(err)
	}
	stream, err := stdio.NewGRPCStdioClient(d.conn).StreamStdio(ctx, &empty.Empty{})
	if err != nil {
		fail(err)
	}
	chunk, err := stream.Recv()
	if err != nil {
		fail(err)
	}
	if chunk.Channel != stdio.StdioData_STDOUT {
		fail(fmt.Errorf("stdio data came on channel %v, not STDOUT", chunk.Channel))
	}
	reattach := client.ReattachConfig()
	r = result{Token: reply.Result.Token, Stdio: strings.TrimSpace(string(chunk.Data)), Pid: reattach.Pid, Address: reattach.Addr.String()}
	started := time.Now()
	client.Kill()
	r.KillMs = float64(time.Since(started).Microseconds()) / 1000
	r.ExitCode = -2
	if cmd.ProcessState != nil {
		r.ExitCode = cmd.ProcessState.ExitCode()
	}
	out.Encode(r)
}
