using System.Net;
using System.Text.Json;

namespace Strata.Registry.Tests.Infrastructure;

internal static class Http
{
    /// <summary>The spec's error code of a response: errors[0].code.</summary>
    public static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }

    public static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, await ErrorCodeAsync(response));
    }

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content) : "";

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url, byte[]? body = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }
        configure?.Invoke(request);
        return await client.SendAsync(request);
    }
}
