package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/golang/protobuf/ptypes"
	hclog "github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	storagev1 "grpcplugins/grpcplugins/storage/v1"
)

// diskStore keeps each object as two files under root/objects: its content (<id>) and its metadata (<id>.json).
// A Store writes under root/tmp and renames into objects/ only once the whole stream has arrived, so a cut-off
// upload leaves nothing behind; both renames are atomic on one file system.
type diskStore struct {
	objects, tmp string
	logger       hclog.Logger
}

// record is an object's metadata file.
type record struct {
	Name      string            `json:"name"`
	Size      int64             `json:"size"`
	MimeType  string            `json:"mime_type"`
	CreatedAt time.Time         `json:"created_at"`
	Custom    map[string]string `json:"custom,omitempty"`
	Sha256    string            `json:"sha256"`
}

func openDiskStore(root string, logger hclog.Logger) (*diskStore, error) {
	s := &diskStore{objects: filepath.Join(root, "objects"), tmp: filepath.Join(root, "tmp"), logger: logger}
	for _, dir := range []string{s.objects, s.tmp} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	// Parts left by a crash are of uploads that never completed.
	parts, _ := filepath.Glob(filepath.Join(s.tmp, "*"))
	for _, p := range parts {
		os.Remove(p)
	}
	return s, nil
}

func (r *record) metadata() *storagev1.ObjectMetadata {
	created, _ := ptypes.TimestampProto(r.CreatedAt)
	return &storagev1.ObjectMetadata{Name: r.Name, Size: r.Size, MimeType: r.MimeType, CreatedAt: created, Custom: r.Custom, Sha256: r.Sha256}
}

func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// validID refuses ids that are not ours, so that no id names a path outside objects/.
func validID(id string) error {
	if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
		return status.Errorf(codes.NotFound, "no object has the id %q", id)
	}
	return nil
}

func (s *diskStore) Store(stream storagev1.StorageService_StoreServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	meta := first.GetMetadata()
	if meta == nil {
		return status.Error(codes.InvalidArgument, "the first message of a Store must be the metadata; nothing was stored")
	}
	id := newID()
	part, err := os.OpenFile(filepath.Join(s.tmp, id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return status.Errorf(codes.Internal, "cannot create the upload's part file: %v", err)
	}
	committed := false
	defer func() {
		part.Close()
		if !committed {
			os.Remove(part.Name())
		}
	}()
	hash := sha256.New()
	var size int64
	var end *storagev1.StoreEnd
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The host cancelled the call or the connection broke: the upload is incomplete and is dropped.
			return err
		}
		if end != nil {
			return status.Error(codes.InvalidArgument, "a message came after the Store's StoreEnd, which must be the last; nothing was stored")
		}
		switch p := req.Part.(type) {
		case *storagev1.StoreRequest_Chunk:
			if _, err := part.Write(p.Chunk); err != nil {
				return status.Errorf(codes.Internal, "cannot write the upload: %v", err)
			}
			hash.Write(p.Chunk)
			size += int64(len(p.Chunk))
		case *storagev1.StoreRequest_End:
			end = p.End
		default:
			return status.Error(codes.InvalidArgument, "only chunks and one StoreEnd may follow a Store's metadata; nothing was stored")
		}
	}
	sum := hex.EncodeToString(hash.Sum(nil))
	if end != nil && (end.TotalSize != size || end.Sha256 != sum) {
		return status.Errorf(codes.InvalidArgument, "the StoreEnd says %d bytes with SHA-256 %s, but %d bytes with SHA-256 %s arrived; nothing was stored", end.TotalSize, end.Sha256, size, sum)
	}
	if err := part.Sync(); err != nil {
		return status.Errorf(codes.Internal, "cannot flush the upload: %v", err)
	}
	rec := &record{Name: meta.Name, Size: size, MimeType: meta.MimeType, CreatedAt: time.Now().UTC(), Custom: meta.Custom, Sha256: sum}
	js, _ := json.Marshal(rec)
	if err := os.WriteFile(filepath.Join(s.tmp, id+".json"), js, 0o600); err != nil {
		return status.Errorf(codes.Internal, "cannot write the metadata: %v", err)
	}
	// Content first, then metadata: an object is listed only once its metadata file is in objects/.
	if err := os.Rename(part.Name(), filepath.Join(s.objects, id)); err != nil {
		return status.Errorf(codes.Internal, "cannot commit the upload: %v", err)
	}
	committed = true
	if err := os.Rename(filepath.Join(s.tmp, id+".json"), filepath.Join(s.objects, id+".json")); err != nil {
		os.Remove(filepath.Join(s.objects, id))
		return status.Errorf(codes.Internal, "cannot commit the metadata: %v", err)
	}
	s.logger.Info("stored", "id", id, "name", rec.Name, "size", size)
	return stream.SendAndClose(&storagev1.StoreResponse{Id: id, Metadata: rec.metadata()})
}

func (s *diskStore) load(id string) (*record, error) {
	if err := validID(id); err != nil {
		return nil, err
	}
	js, err := os.ReadFile(filepath.Join(s.objects, id+".json"))
	if os.IsNotExist(err) {
		return nil, status.Errorf(codes.NotFound, "no object has the id %q", id)
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "cannot read the metadata of %s: %v", id, err)
	}
	rec := &record{}
	if err := json.Unmarshal(js, rec); err != nil {
		return nil, status.Errorf(codes.DataLoss, "the metadata of %s is damaged: %v", id, err)
	}
	return rec, nil
}

func (s *diskStore) Retrieve(req *storagev1.RetrieveRequest, stream storagev1.StorageService_RetrieveServer) error {
	rec, err := s.load(req.Id)
	if err != nil {
		return err
	}
	if req.Offset < 0 || req.Length < 0 {
		return status.Error(codes.InvalidArgument, "offset and length must not be negative")
	}
	f, err := os.Open(filepath.Join(s.objects, req.Id))
	if err != nil {
		return status.Errorf(codes.NotFound, "the content of %s is gone: %v", req.Id, err)
	}
	defer f.Close()
	if err := stream.Send(&storagev1.RetrieveResponse{Part: &storagev1.RetrieveResponse_Metadata{Metadata: rec.metadata()}}); err != nil {
		return err
	}
	var r io.Reader = io.NewSectionReader(f, req.Offset, rec.Size-min64(req.Offset, rec.Size))
	if req.Length > 0 {
		r = io.LimitReader(r, req.Length)
	}
	buf := make([]byte, 64*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if err := stream.Send(&storagev1.RetrieveResponse{Part: &storagev1.RetrieveResponse_Chunk{Chunk: buf[:n]}}); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return status.Errorf(codes.Internal, "cannot read %s: %v", req.Id, err)
		}
	}
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func (s *diskStore) Stat(_ context.Context, req *storagev1.StatRequest) (*storagev1.StatResponse, error) {
	rec, err := s.load(req.Id)
	if err != nil {
		return nil, err
	}
	return &storagev1.StatResponse{Metadata: rec.metadata()}, nil
}

func (s *diskStore) Delete(_ context.Context, req *storagev1.DeleteRequest) (*storagev1.DeleteResponse, error) {
	if _, err := s.load(req.Id); err != nil {
		return nil, err
	}
	// Metadata first: once it is gone the object is no longer listed, even if removing the content fails.
	if err := os.Remove(filepath.Join(s.objects, req.Id+".json")); err != nil && !os.IsNotExist(err) {
		return nil, status.Errorf(codes.Internal, "cannot delete %s: %v", req.Id, err)
	}
	os.Remove(filepath.Join(s.objects, req.Id))
	return &storagev1.DeleteResponse{}, nil
}

type listed struct {
	id  string
	rec *record
}

func (s *diskStore) all() ([]listed, error) {
	names, err := filepath.Glob(filepath.Join(s.objects, "*.json"))
	if err != nil {
		return nil, err
	}
	items := make([]listed, 0, len(names))
	for _, n := range names {
		id := strings.TrimSuffix(filepath.Base(n), ".json")
		if rec, err := s.load(id); err == nil {
			items = append(items, listed{id, rec})
		}
	}
	// Name order, ids breaking ties: the order the storage contract asks List for.
	sort.Slice(items, func(i, j int) bool { return less(items[i].rec.Name, items[i].id, items[j].rec.Name, items[j].id) })
	return items, nil
}

func less(nameA, idA, nameB, idB string) bool {
	if nameA != nameB {
		return nameA < nameB
	}
	return idA < idB
}

// A page token is the last listed item's id and name; the next page starts after that place in name order.
func pageToken(it listed) string {
	return base64.RawURLEncoding.EncodeToString([]byte(it.id + "\n" + it.rec.Name))
}

func parsePageToken(token string) (name, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	parts := strings.SplitN(string(raw), "\n", 2)
	if err != nil || len(parts) != 2 {
		return "", "", status.Errorf(codes.InvalidArgument, "the page token %q is not one this plugin's List returned; pass next_page_token as it came, or none for the first page", token)
	}
	return parts[1], parts[0], nil
}

func (s *diskStore) List(_ context.Context, req *storagev1.ListRequest) (*storagev1.ListResponse, error) {
	if req.Limit < 0 {
		return nil, status.Error(codes.InvalidArgument, "limit must not be negative")
	}
	items, err := s.all()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "cannot list: %v", err)
	}
	var afterName, afterID string
	if req.PageToken != "" {
		if afterName, afterID, err = parsePageToken(req.PageToken); err != nil {
			return nil, err
		}
	}
	resp := &storagev1.ListResponse{}
	for _, it := range items {
		if !strings.HasPrefix(it.rec.Name, req.Prefix) || (req.PageToken != "" && !less(afterName, afterID, it.rec.Name, it.id)) {
			continue
		}
		if req.Limit > 0 && len(resp.Items) == int(req.Limit) {
			resp.NextPageToken = pageToken(listed{resp.Items[len(resp.Items)-1].Id, &record{Name: resp.Items[len(resp.Items)-1].Metadata.Name}})
			break
		}
		resp.Items = append(resp.Items, &storagev1.Item{Id: it.id, Metadata: it.rec.metadata()})
	}
	return resp, nil
}

func (s *diskStore) Stats(context.Context, *storagev1.StatsRequest) (*storagev1.StatsResponse, error) {
	items, err := s.all()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "cannot list: %v", err)
	}
	resp := &storagev1.StatsResponse{TotalItems: int64(len(items))}
	for _, it := range items {
		resp.TotalSize += it.rec.Size
	}
	return resp, nil
}
