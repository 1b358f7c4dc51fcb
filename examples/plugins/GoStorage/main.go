// Command GoStorage is a storage plugin written in Go with HashiCorp go-plugin, as a Go shop writes its plugins: it
// serves GrpcPlugins' storage contract (grpcplugins.storage.v1.StorageService) on files under a root folder, and a
// GrpcPlugins host runs it in go-plugin mode (GoPlugin: true with the handshake below). See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	storagev1 "grpcplugins/grpcplugins/storage/v1"
)

// Handshake is the file-transfer application's go-plugin handshake; its host is configured with the same values
// (MagicCookieKey, MagicCookieValue, ProtocolVersions).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "FILETRANSFER_GO_PLUGIN",
	MagicCookieValue: "filetransfer",
}

// storagePlugin registers the storage service on the gRPC server go-plugin runs.
type storagePlugin struct {
	plugin.NetRPCUnsupportedPlugin
	store *diskStore
}

func (p storagePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	storagev1.RegisterStorageServiceServer(s, p.store)
	return nil
}

func (storagePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return storagev1.NewStorageServiceClient(conn), nil
}

func main() {
	root := flag.String("root", "", "the folder that holds the stored files (created if missing)")
	flag.Parse()
	// hclog's JSON lines keep their level when a host reads them (GrpcPlugins and go-plugin hosts alike).
	logger := hclog.New(&hclog.LoggerOptions{Name: "gostorage", Level: hclog.Info, JSONFormat: true, Output: os.Stderr})
	if *root == "" {
		fmt.Fprintln(os.Stderr, "GoStorage needs -root FOLDER: the folder that holds the stored files. Add it to the plugin's Args.")
		os.Exit(2)
	}
	store, err := openDiskStore(*root, logger)
	if err != nil {
		fmt.Fprintf(os.Stderr, "GoStorage cannot use the root folder %s: %v. Pass -root a folder this user can write.\n", *root, err)
		os.Exit(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         map[string]plugin.Plugin{"storage": storagePlugin{store: store}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}
