namespace Strata.Registry.Storage;

/// <summary>The stores of one storage root, wired together.</summary>
public sealed class RegistryStorage
{
    public RegistryStorage(IStorageDriver driver, TimeProvider time)
    {
        Driver = driver;
        Blobs = new BlobStore(driver);
        Manifests = new ManifestStore(driver, Blobs);
        Uploads = new UploadStore(driver, Blobs, time);
    }

    public IStorageDriver Driver { get; }
    public BlobStore Blobs { get; }
    public ManifestStore Manifests { get; }
    public UploadStore Uploads { get; }
}
