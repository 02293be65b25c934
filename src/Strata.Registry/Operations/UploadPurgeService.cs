using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Registry.Storage;

namespace Strata.Registry.Operations;

/// <summary>Deletes abandoned uploads periodically (distribution's upload purging, default every hour).</summary>
internal sealed class UploadPurgeService(UploadStore uploads, RegistryOptions options, TimeProvider time, ILogger<UploadPurgeService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Uploads.PurgeInterval, time);
        do
        {
            var purged = uploads.PurgeExpired(options.Uploads.Expiry);
            if (purged > 0)
            {
                RegistryLog.UploadsPurged(logger, purged);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
