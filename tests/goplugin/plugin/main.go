// Command plugin is a HashiCorp go-plugin gRPC plugin that serves GrpcPlugins' auth and storage contracts, built
// as any Go shop builds a plugin (plugin.Serve, hclog JSON logs). The GrpcPlugins functional tests run it under a
// GrpcPlugins host in go-plugin mode. Its behaviour on purpose:
//   - Authenticate alice/secret returns token "go-token-alice"; Authorize accepts it for READ.
//   - Authenticate user "panic" makes the plugin panic (a crash the host must log and restart from).
//   - Authenticate user "flood" writes 256 KiB to the process's real stdout and stderr first, then answers.
//   - At start it logs one hclog JSON line per level, each with the field check=levels.
//   - Storage keeps objects in memory; Store answers with the size and SHA-256 of what it received.
//   - Authenticate user "broker" with a broker id as password dials that id through go-plugin's broker (the host
//     serves an auth helper there, go-plugin's "bidirectional" pattern) and answers "via-broker:" and its token.
//   - Authenticate user "callbacks" with password V stores V under the key "go" through the host callbacks, which it
//     dialed through the broker at start (GRPCPLUGINS_HOST_CALLBACKS_BROKER_ID), reads it back and answers "kv:" V.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	authv1 "grpcplugins/grpcplugins/auth/v1"
	hostv1 "grpcplugins/grpcplugins/host/v1"
	storagev1 "grpcplugins/grpcplugins/storage/v1"
)

// The application's own handshake, as a go-plugin application chooses it; the GrpcPlugins host is configured with it.
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "GRPCPLUGINS_GO_TEST_COOKIE",
	MagicCookieValue: "go-plugin-test",
}

// go-plugin replaces os.Stdout and os.Stderr with pipes of its own once it serves; these are the process's real ones.
var realStdout, realStderr = os.NewFile(1, "stdout"), os.NewFile(2, "stderr")

var logger = hclog.New(&hclog.LoggerOptions{Name: "goplugin-test", Level: hclog.Trace, JSONFormat: true, Output: realStderr})

type auth struct {
	broker    *plugin.GRPCBroker
	callbacks chan *grpc.ClientConn // holds the host callbacks' connection once dialed; closed empty if there are none
}

// viaBroker dials the host's helper on broker id idText and signs in there: the host served it just for this call.
func (a auth) viaBroker(ctx context.Context, idText string) (*authv1.AuthenticateResponse, error) {
	id, err := strconv.ParseUint(idText, 10, 32)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "the password of user broker must be a broker id: %v", err)
	}
	conn, err := a.broker.Dial(uint32(id))
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dialing broker id %d: %v", id, err)
	}
	defer conn.Close()
	helper, err := authv1.NewAuthServiceClient(conn).Authenticate(ctx, &authv1.AuthenticateRequest{
		Type: authv1.AuthType_AUTH_TYPE_PASSWORD, Username: "go-plugin", Password: "through-the-broker",
	})
	if err != nil {
		return nil, err
	}
	return &authv1.AuthenticateResponse{Result: &authv1.AuthResult{Token: "via-broker:" + helper.Result.Token, User: helper.Result.User}}, nil
}

// viaCallbacks writes a value to the host's key-value store and reads it back, through the host callbacks.
func (a auth) viaCallbacks(ctx context.Context, value string) (*authv1.AuthenticateResponse, error) {
	conn, ok := <-a.callbacks
	if !ok || conn == nil {
		return nil, status.Error(codes.FailedPrecondition, "the host offered no callbacks on the broker")
	}
	a.callbacks <- conn
	ctx = metadata.AppendToOutgoingContext(ctx, "x-grpcplugins-host-token", os.Getenv("GRPCPLUGINS_HOST_CALLBACKS_TOKEN"))
	host := hostv1.NewHostCallbacksServiceClient(conn)
	if _, err := host.PutValue(ctx, &hostv1.PutValueRequest{Key: "go", Value: []byte(value)}); err != nil {
		return nil, err
	}
	got, err := host.GetValue(ctx, &hostv1.GetValueRequest{Key: "go"})
	if err != nil {
		return nil, err
	}
	return &authv1.AuthenticateResponse{Result: &authv1.AuthResult{Token: "kv:" + string(got.Value), User: &authv1.User{Id: "go-1", Username: "callbacks"}}}, nil
}

func (a auth) Authenticate(ctx context.Context, req *authv1.AuthenticateRequest) (*authv1.AuthenticateResponse, error) {
	switch req.Username {
	case "broker":
		return a.viaBroker(ctx, req.Password)
	case "callbacks":
		return a.viaCallbacks(ctx, req.Password)
	case "panic":
		panic("the go test plugin was asked to panic")
	case "flood":
		line := strings.Repeat("x", 1023) + "\n"
		for i := 0; i < 256; i++ {
			io.WriteString(realStdout, line)
			io.WriteString(realStderr, line)
		}
		io.WriteString(realStdout, "flood done\n")
	}
	if req.Username != "alice" && req.Username != "flood" || req.Password != "secret" {
		return nil, status.Error(codes.Unauthenticated, "wrong username or password")
	}
	user := &authv1.User{Id: "go-1", Username: req.Username, Roles: []string{"reader"}}
	return &authv1.AuthenticateResponse{Result: &authv1.AuthResult{Token: "go-token-" + req.Username, User: user}}, nil
}

func (auth) Authorize(_ context.Context, req *authv1.AuthorizeRequest) (*authv1.AuthorizeResponse, error) {
	if req.Token != "go-token-alice" {
		return nil, status.Error(codes.Unauthenticated, "unknown token")
	}
	return &authv1.AuthorizeResponse{
		Allowed: req.Action == authv1.Action_ACTION_READ,
		User:    &authv1.User{Id: "go-1", Username: "alice"},
		Reason:  "go plugin decided for " + req.Resource,
	}, nil
}

func (auth) Refresh(context.Context, *authv1.RefreshRequest) (*authv1.RefreshResponse, error) {
	return nil, status.Error(codes.Unimplemented, "refresh is not supported")
}

func (auth) Revoke(context.Context, *authv1.RevokeRequest) (*authv1.RevokeResponse, error) {
	return &authv1.RevokeResponse{}, nil
}

type object struct {
	meta *storagev1.ObjectMetadata
	data []byte
}

type storage struct {
	mu      sync.Mutex
	objects map[string]object
	next    int
}

func (s *storage) Store(stream storagev1.StorageService_StoreServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	meta := first.GetMetadata()
	if meta == nil {
		return status.Error(codes.InvalidArgument, "the first message of Store must be the metadata")
	}
	var data []byte
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		data = append(data, req.GetChunk()...)
	}
	sum := sha256.Sum256(data)
	stored := &storagev1.ObjectMetadata{Name: meta.Name, MimeType: meta.MimeType, Custom: meta.Custom, Size: int64(len(data)), Sha256: hex.EncodeToString(sum[:])}
	s.mu.Lock()
	s.next++
	id := fmt.Sprintf("go-%d", s.next)
	s.objects[id] = object{meta: stored, data: data}
	s.mu.Unlock()
	logger.Info("stored", "id", id, "size", len(data))
	return stream.SendAndClose(&storagev1.StoreResponse{Id: id, Metadata: stored})
}

func (s *storage) get(id string) (object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if !ok {
		return o, status.Errorf(codes.NotFound, "no object %q", id)
	}
	return o, nil
}

func (s *storage) Retrieve(req *storagev1.RetrieveRequest, stream storagev1.StorageService_RetrieveServer) error {
	o, err := s.get(req.Id)
	if err != nil {
		return err
	}
	if err := stream.Send(&storagev1.RetrieveResponse{Part: &storagev1.RetrieveResponse_Metadata{Metadata: o.meta}}); err != nil {
		return err
	}
	start := req.Offset
	if start > int64(len(o.data)) {
		start = int64(len(o.data))
	}
	end := int64(len(o.data))
	if req.Length > 0 && start+req.Length < end {
		end = start + req.Length
	}
	for start < end {
		n := end - start
		if n > 64*1024 {
			n = 64 * 1024
		}
		if err := stream.Send(&storagev1.RetrieveResponse{Part: &storagev1.RetrieveResponse_Chunk{Chunk: o.data[start : start+n]}}); err != nil {
			return err
		}
		start += n
	}
	return nil
}

func (s *storage) Delete(_ context.Context, req *storagev1.DeleteRequest) (*storagev1.DeleteResponse, error) {
	if _, err := s.get(req.Id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.objects, req.Id)
	s.mu.Unlock()
	return &storagev1.DeleteResponse{}, nil
}

func (s *storage) List(_ context.Context, req *storagev1.ListRequest) (*storagev1.ListResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &storagev1.ListResponse{}
	for id, o := range s.objects {
		if strings.HasPrefix(o.meta.Name, req.Prefix) {
			resp.Items = append(resp.Items, &storagev1.Item{Id: id, Metadata: o.meta})
		}
	}
	sort.Slice(resp.Items, func(i, j int) bool { return resp.Items[i].Id < resp.Items[j].Id })
	// The page token is the id the next page starts after; limit caps a page.
	if req.PageToken != "" {
		start := sort.Search(len(resp.Items), func(i int) bool { return resp.Items[i].Id > req.PageToken })
		resp.Items = resp.Items[start:]
	}
	if req.Limit > 0 && len(resp.Items) > int(req.Limit) {
		resp.Items = resp.Items[:req.Limit]
		resp.NextPageToken = resp.Items[len(resp.Items)-1].Id
	}
	return resp, nil
}

func (s *storage) Stat(_ context.Context, req *storagev1.StatRequest) (*storagev1.StatResponse, error) {
	o, err := s.get(req.Id)
	if err != nil {
		return nil, err
	}
	return &storagev1.StatResponse{Metadata: o.meta}, nil
}

func (s *storage) Stats(context.Context, *storagev1.StatsRequest) (*storagev1.StatsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &storagev1.StatsResponse{TotalItems: int64(len(s.objects))}
	for _, o := range s.objects {
		resp.TotalSize += int64(len(o.data))
	}
	return resp, nil
}

// contracts registers both contracts; the host's configuration says which type it uses the plugin as.
type contracts struct {
	plugin.NetRPCUnsupportedPlugin
}

func (contracts) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	a := auth{broker: broker, callbacks: make(chan *grpc.ClientConn, 1)}
	// The host announces its callbacks on their broker id as soon as it opens the broker; go-plugin keeps an
	// announcement for 5 s, so dial it now and keep the connection.
	if idText := os.Getenv("GRPCPLUGINS_HOST_CALLBACKS_BROKER_ID"); idText != "" {
		go func() {
			id, err := strconv.ParseUint(idText, 10, 32)
			if err == nil {
				var conn *grpc.ClientConn
				if conn, err = broker.Dial(uint32(id)); err == nil {
					a.callbacks <- conn
					return
				}
			}
			logger.Error("dialing the host callbacks through the broker", "error", err)
			close(a.callbacks)
		}()
	} else {
		close(a.callbacks)
	}
	authv1.RegisterAuthServiceServer(s, a)
	storagev1.RegisterStorageServiceServer(s, &storage{objects: map[string]object{}})
	return nil
}

func (contracts) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

func main() {
	logger.Trace("level check", "check", "levels")
	logger.Debug("level check", "check", "levels")
	logger.Info("level check", "check", "levels")
	logger.Warn("level check", "check", "levels")
	logger.Error("level check", "check", "levels")
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         map[string]plugin.Plugin{"contracts": contracts{}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}
