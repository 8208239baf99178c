using Microsoft.AspNetCore.Http;

namespace Brummer.Gateway;

/// <summary>Every refusal the gateway writes itself over HTTP: RFC 7807 problem details with a one-line detail.</summary>
public static class Problems
{
    public static IResult For(GatewayException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return Result(StatusOf(ex.Kind), ex.Message);
    }

    public static int StatusOf(GatewayErrorKind kind) => kind switch
    {
        GatewayErrorKind.NotFound => StatusCodes.Status404NotFound,
        GatewayErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        GatewayErrorKind.Timeout => StatusCodes.Status504GatewayTimeout,
        GatewayErrorKind.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    };

    public static IResult Result(int status, string detail, string? title = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title ?? Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status));

    /// <param name="title">The status's reason phrase unless given.</param>
    public static Task WriteAsync(HttpContext context, int status, string detail, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Result(status, detail, title).ExecuteAsync(context);
    }
}
