// hello-go: the Go example plugin, written exactly as a plugin for Jank is: hashicorp/go-plugin
// with Jank's handshake and Jank's plugin.PluginService over gRPC.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	pb "jank-runner/plugin"
)

// Handshake is Jank's: the host sets JANK_PLUGIN=jank-plugin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "JANK_PLUGIN",
	MagicCookieValue: "jank-plugin",
}

type helloServer struct {
	pb.UnimplementedPluginServiceServer
	manifest map[string]interface{}
}

func (s *helloServer) Execute(ctx context.Context, req *pb.ExecuteRequest) (*pb.ExecuteResponse, error) {
	switch req.Method {
	case "greet":
		args, err := unpack(req.Args)
		if err != nil {
			return nil, err
		}
		name, ok := args["name"].(string)
		if !ok || name == "" {
			return nil, status.Error(codes.InvalidArgument, "greet needs a string argument 'name'")
		}
		return pack(map[string]interface{}{"message": "Hello, " + name + "!"})
	case "info":
		info := map[string]interface{}{"language": "go", "pid": os.Getpid()}
		for _, field := range []string{"id", "name", "version", "author", "description", "type"} {
			info[field] = s.manifest[field]
		}
		return pack(info)
	case "echo":
		// The arguments, untouched: each is already a Value packed in an Any.
		return &pb.ExecuteResponse{Data: req.Args}, nil
	default:
		return nil, status.Errorf(codes.Unimplemented, "unknown method '%s'", req.Method)
	}
}

func (s *helloServer) HealthCheck(ctx context.Context, req *pb.HealthCheckRequest) (*pb.HealthCheckResponse, error) {
	return &pb.HealthCheckResponse{Status: "healthy"}, nil
}

// unpack turns Jank's map<string, Any> (each a google.protobuf.Value) into plain Go values.
func unpack(args map[string]*anypb.Any) (map[string]interface{}, error) {
	out := make(map[string]interface{}, len(args))
	for key, packed := range args {
		value := &structpb.Value{}
		if err := packed.UnmarshalTo(value); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "argument '%s' is not a google.protobuf.Value: %v", key, err)
		}
		out[key] = value.AsInterface()
	}
	return out, nil
}

// pack turns plain Go values into Jank's map<string, Any>.
func pack(data map[string]interface{}) (*pb.ExecuteResponse, error) {
	out := make(map[string]*anypb.Any, len(data))
	for key, raw := range data {
		value, err := structpb.NewValue(raw)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "cannot encode '%s': %v", key, err)
		}
		packed, err := anypb.New(value)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "cannot pack '%s': %v", key, err)
		}
		out[key] = packed
	}
	return &pb.ExecuteResponse{Data: out}, nil
}

// grpcPlugin is the go-plugin side: it serves helloServer as plugin.PluginService.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl *helloServer
}

func (p *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, server *grpc.Server) error {
	pb.RegisterPluginServiceServer(server, p.impl)
	return nil
}

func (p *grpcPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return pb.NewPluginServiceClient(conn), nil
}

func main() {
	// The host starts plugins with their own directory as working directory.
	manifest := map[string]interface{}{}
	if raw, err := ioutil.ReadFile("plugin.json"); err == nil {
		if err := json.Unmarshal(raw, &manifest); err != nil {
			fmt.Fprintf(os.Stderr, "plugin.json is not valid JSON: %v\n", err)
			os.Exit(1)
		}
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         map[string]plugin.Plugin{"plugin": &grpcPlugin{impl: &helloServer{manifest: manifest}}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
