using Brummer.AppHost;

// Two nodes and a gateway, as `brummer node` / `brummer gateway` processes, running examples/microservices (the shop on
// two machines): node data runs its db, orders and pricing services, node web its front end. The dashboard gets the
// traces, metrics and logs of all three over OTLP/HTTP. Brummer:Stack names another stack directory (one whose
// brummer.yaml places its processes on nodes data and web), e.g. a copy of the example a test runs on its own.
var builder = DistributedApplication.CreateBuilder(args);
var shop = Path.GetFullPath(builder.Configuration["Brummer:Stack"]
    ?? Path.Combine(builder.AppHostDirectory, "..", "..", "examples", "microservices"));

var cluster = builder.AddBrummerCluster();
var data = cluster.AddNode("data", shop);
cluster.AddNode("web", shop);
cluster.AddGateway("gateway", port: 7777).WaitFor(data);

builder.Build().Run();
