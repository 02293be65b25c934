namespace Strata.Oci.Image;

/// <summary>The "oci-layout" marker file of an image layout directory (image-spec image-layout.md).</summary>
public sealed class ImageLayout
{
    public const string FileName = "oci-layout";

    public string ImageLayoutVersion { get; set; } = "1.0.0";
}
