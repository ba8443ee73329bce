// {{ID}}: answers `hello` with a greeting. Add methods to the switch in Execute.
//
// A jank-runner plugin is a Jank plugin: hashicorp/go-plugin with Jank's handshake, serving
// plugin.PluginService (proto/plugin.proto) over gRPC. Every argument and result value is a
// google.protobuf.Value packed in a google.protobuf.Any; unpack and pack convert them.
package main

import (
	"context"
	"strings"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	pb "jank-runner/plugin"
)

// handshake is Jank's: the runner sets JANK_PLUGIN=jank-plugin and PLUGIN_PROTOCOL_VERSIONS=1.
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "JANK_PLUGIN",
	MagicCookieValue: "jank-plugin",
}

type server struct {
	pb.UnimplementedPluginServiceServer
}

// Execute runs one call. Calls arrive concurrently: keep shared state safe for that.
// A gRPC error status reaches the caller as PLUGIN_ERROR with its message.
func (s *server) Execute(ctx context.Context, req *pb.ExecuteRequest) (*pb.ExecuteResponse, error) {
	args, err := unpack(req.Args)
	if err != nil {
		return nil, err
	}
	switch req.Method {
	case "hello":
		name, _ := args["name"].(string)
		if strings.TrimSpace(name) == "" {
			name = "world"
		}
		return pack(map[string]interface{}{"message": "Hello, " + name + "!"})
	default:
		return nil, status.Errorf(codes.Unimplemented, "unknown method '%s'", req.Method)
	}
}

func (s *server) HealthCheck(ctx context.Context, req *pb.HealthCheckRequest) (*pb.HealthCheckResponse, error) {
	return &pb.HealthCheckResponse{Status: "healthy"}, nil
}

// unpack turns map<string, Any> (each a google.protobuf.Value) into plain Go values.
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

// pack turns plain Go values (JSON-like: maps, slices, strings, numbers, bools, nil) into map<string, Any>.
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

// grpcPlugin is the go-plugin side: it serves server as plugin.PluginService.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (p *grpcPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServiceServer(s, &server{})
	return nil
}

func (p *grpcPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return pb.NewPluginServiceClient(conn), nil
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         map[string]plugin.Plugin{"plugin": &grpcPlugin{}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
