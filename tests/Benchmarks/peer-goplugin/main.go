// Command peer is the HashiCorp go-plugin peer of the GrpcPlugins benchmarks: one binary that is both the
// host ("peer host ...") and, when go-plugin launches it, the plugin. It measures the same things as the
// C# suite: a unary Authorize-like call (sequential and concurrent), a client stream whose bytes the plugin
// discards, and cold start (spawn until the first call returns). It prints one JSON object on stdout.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golang/protobuf/ptypes/wrappers"
	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "GRPCPLUGINS_BENCH_PEER",
	MagicCookieValue: "peer",
}

// benchServer answers Authorize the way the C# test plugin does: it checks the token, reads the
// propagated context headers and formats a reason from them; Store reads chunks and discards them.
type benchServer struct{}

func (benchServer) authorize(ctx context.Context, req *wrappers.StringValue) (*wrappers.StringValue, error) {
	if !strings.HasPrefix(req.Value, "tok-alice") {
		return nil, fmt.Errorf("the token is unknown or expired")
	}
	md, _ := metadata.FromIncomingContext(ctx)
	get := func(k string) string {
		if v := md.Get(k); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	reason := fmt.Sprintf("transfer=%s;user=%s;request=%s;allowed=true", get("grpcplugins-transfer-id"), get("grpcplugins-user-id"), get("grpcplugins-request-id"))
	return &wrappers.StringValue{Value: reason}, nil
}

func (benchServer) store(stream grpc.ServerStream) error {
	var total int64
	for {
		chunk := new(wrappers.BytesValue)
		if err := stream.RecvMsg(chunk); err == io.EOF {
			return stream.SendMsg(&wrappers.Int64Value{Value: total})
		} else if err != nil {
			return err
		}
		total += int64(len(chunk.Value))
	}
}

// The service is described by hand, as protoc-gen-go-grpc would, so that no code generator is needed.
var serviceDesc = grpc.ServiceDesc{
	ServiceName: "bench.v1.BenchService",
	HandlerType: (*interface{})(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Authorize",
		Handler: func(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
			in := new(wrappers.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(benchServer).authorize(ctx, in)
		},
	}},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Store",
		ClientStreams: true,
		Handler: func(srv interface{}, stream grpc.ServerStream) error {
			return srv.(benchServer).store(stream)
		},
	}},
}

type benchPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (benchPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&serviceDesc, benchServer{})
	return nil
}

func (benchPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

var plugins = map[string]plugin.Plugin{"bench": benchPlugin{}}

func authorize(conn *grpc.ClientConn) error {
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"grpcplugins-transfer-id", "t-1", "grpcplugins-user-id", "u-1", "grpcplugins-request-id", "r-1")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out := new(wrappers.StringValue)
	return conn.Invoke(ctx, "/bench.v1.BenchService/Authorize", &wrappers.StringValue{Value: "tok-alice|files/report.pdf|READ"}, out)
}

func start(self string) (*plugin.Client, *grpc.ClientConn, error) {
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugins,
		Cmd:              exec.Command(self),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Output: ioutil.Discard, Level: hclog.Error}),
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, err
	}
	raw, err := rpc.Dispense("bench")
	if err != nil {
		client.Kill()
		return nil, nil, err
	}
	return client, raw.(*grpc.ClientConn), nil
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

// unary runs calls Authorize calls spread over callers goroutines and returns p50, p99 in microseconds and calls/s.
func unary(conn *grpc.ClientConn, calls, callers int) (float64, float64, float64, error) {
	lat := make([]float64, calls)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	next := make(chan int, calls)
	for i := 0; i < calls; i++ {
		next <- i
	}
	close(next)
	began := time.Now()
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				if err := authorize(conn); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				lat[i] = float64(time.Since(t).Nanoseconds()) / 1000
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began).Seconds()
	sort.Float64s(lat)
	return percentile(lat, 0.50), percentile(lat, 0.99), float64(calls) / elapsed, firstErr
}

func stream(conn *grpc.ClientConn, total int64, chunkSize int) (float64, error) {
	desc := &grpc.StreamDesc{StreamName: "Store", ClientStreams: true}
	began := time.Now()
	s, err := conn.NewStream(context.Background(), desc, "/bench.v1.BenchService/Store")
	if err != nil {
		return 0, err
	}
	buf := make([]byte, chunkSize)
	for sent := int64(0); sent < total; sent += int64(chunkSize) {
		if err := s.SendMsg(&wrappers.BytesValue{Value: buf}); err != nil {
			return 0, err
		}
	}
	if err := s.CloseSend(); err != nil {
		return 0, err
	}
	got := new(wrappers.Int64Value)
	if err := s.RecvMsg(got); err != nil {
		return 0, err
	}
	if got.Value < total {
		return 0, fmt.Errorf("the plugin counted %d bytes, %d were sent", got.Value, total)
	}
	return float64(got.Value) / (1 << 20) / time.Since(began).Seconds(), nil
}

func main() {
	if os.Getenv(handshake.MagicCookieKey) == handshake.MagicCookieValue {
		plugin.Serve(&plugin.ServeConfig{HandshakeConfig: handshake, Plugins: plugins, GRPCServer: plugin.DefaultGRPCServer})
		return
	}
	calls := flag.Int("calls", 20000, "unary calls per run, after as many warm-up calls")
	callers := flag.Int("concurrency", 16, "concurrent callers of the concurrent run")
	streamMiB := flag.Int64("stream-mib", 1024, "MiB streamed to the plugin, which discards them")
	chunk := flag.Int("chunk", 64*1024, "chunk size of the stream")
	colds := flag.Int("coldstarts", 20, "cold starts whose median is reported")
	flag.Parse()
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}

	result := map[string]float64{}
	client, conn, err := start(self)
	if err != nil {
		log.Fatalf("go-plugin could not start its plugin: %v", err)
	}
	if _, _, _, err := unary(conn, *calls, 1); err != nil {
		log.Fatal(err)
	}
	p50, p99, rate, err := unary(conn, *calls, 1)
	if err != nil {
		log.Fatal(err)
	}
	result["unary_seq_p50_us"], result["unary_seq_p99_us"], result["unary_seq_per_s"] = p50, p99, rate
	p50, p99, rate, err = unary(conn, *calls, *callers)
	if err != nil {
		log.Fatal(err)
	}
	result["unary_conc_p50_us"], result["unary_conc_p99_us"], result["unary_conc_per_s"] = p50, p99, rate
	if _, err := stream(conn, 64<<20, *chunk); err != nil {
		log.Fatal(err)
	}
	mibs, err := stream(conn, *streamMiB<<20, *chunk)
	if err != nil {
		log.Fatal(err)
	}
	result["stream_mib_s"] = mibs
	client.Kill()

	starts := make([]float64, 0, *colds)
	for i := 0; i < *colds; i++ {
		t := time.Now()
		c, conn, err := start(self)
		if err != nil {
			log.Fatal(err)
		}
		if err := authorize(conn); err != nil {
			log.Fatal(err)
		}
		starts = append(starts, float64(time.Since(t).Microseconds())/1000)
		c.Kill()
	}
	sort.Float64s(starts)
	result["cold_start_ms"] = percentile(starts, 0.5)
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		log.Fatal(err)
	}
}
