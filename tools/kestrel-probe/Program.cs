// Sends raw request targets to a real Kestrel and prints, for each, what the Azure Functions host hands its worker:
// RpcHttp.url as GrpcMessageConversionExtensions builds it ($"{scheme}://{Host}{Path}{QueryString}") and the route
// values of the classic Route/TemplateMatcher that WebJobsRouter uses (FunctionInvocationMiddleware.PopulateRouteData).
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

var templates = new[] { "api/users/{userId}", "api/users/{userId}/revoke", "api/things/{*rest}" };
var matchers = templates.Select(t => (t, new TemplateMatcher(TemplateParser.Parse(t), new RouteValueDictionary()))).ToArray();
var targets = File.ReadAllLines(args[0]).Where(line => line.Length > 0 && !line.StartsWith('#')).ToArray();

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var app = builder.Build();
app.Run(async context =>
{
    var request = context.Request;
    var route = (object?)null;
    foreach (var (template, matcher) in matchers)
    {
        var values = new RouteValueDictionary();
        if (matcher.TryMatch(request.Path, values))
        {
            route = new { template, values = values.ToDictionary(v => v.Key, v => v.Value?.ToString()) };
            break;
        }
    }
    var result = new
    {
        path = request.Path.Value,
        url = $"{(request.IsHttps ? "https" : "http")}://{request.Host}{request.Path}{request.QueryString}",
        query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
        route,
    };
    var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(result));
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = json.Length;
    await context.Response.Body.WriteAsync(json);
});
await app.StartAsync();
var port = new Uri(app.Urls.First()).Port;

var results = new List<object>();
foreach (var target in targets)
{
    using var client = new TcpClient("127.0.0.1", port);
    using var stream = client.GetStream();
    var bytes = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: probe.example\r\nConnection: close\r\n\r\n");
    await stream.WriteAsync(bytes);
    using var reader = new StreamReader(stream, Encoding.UTF8);
    var response = await reader.ReadToEndAsync();
    var status = int.Parse(response.Split(' ')[1]);
    var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
    results.Add(new { target, status, host = status == 200 ? JsonSerializer.Deserialize<JsonElement>(body) : (JsonElement?)null });
}
await app.StopAsync();
Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
