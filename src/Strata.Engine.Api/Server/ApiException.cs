using Microsoft.AspNetCore.Http;

namespace Strata.Engine.Api.Server;

/// <summary>
/// A failure a backend reports with docker's status and message (moby's errdefs kinds: invalid parameter
/// 400, unauthorized 401, not found 404, conflict 409, else 500); the router writes it as an error body.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int status, string message)
        : base(message)
    {
        Status = status;
    }

    public ApiException() : this(StatusCodes.Status500InternalServerError, "internal error") { }
    public ApiException(string message) : this(StatusCodes.Status500InternalServerError, message) { }
    public ApiException(string message, Exception inner) : base(message, inner) => Status = StatusCodes.Status500InternalServerError;

    public int Status { get; }

    public static ApiException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static ApiException NotFound(string message) => new(StatusCodes.Status404NotFound, message);

    public static ApiException Conflict(string message) => new(StatusCodes.Status409Conflict, message);
}
