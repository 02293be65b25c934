using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Strata.Engine.Containers;

/// <summary>docker's container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+, given with or without the leading "/", or made up as adjective_surname.</summary>
public static partial class ContainerNames
{
    private static readonly string[] Adjectives =
    [
        "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful", "bold",
        "boring", "brave", "busy", "charming", "clever", "compassionate", "competent", "condescending", "confident", "cool",
        "cranky", "crazy", "dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated",
        "elegant", "eloquent", "epic", "exciting", "fervent", "festive", "flamboyant", "focused", "friendly", "frosty",
        "funny", "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful",
        "hungry", "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen", "kind", "laughing",
        "loving", "lucid", "magical", "modest", "musing", "mystifying", "naughty", "nervous", "nice", "nifty",
        "nostalgic", "objective", "optimistic", "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical",
        "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic",
        "strange", "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
        "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
    ];

    private static readonly string[] Surnames =
    [
        "agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli", "aryabhata", "austin", "babbage", "banach",
        "bardeen", "bartik", "bassi", "bell", "benz", "bhabha", "black", "blackwell", "bohr", "booth",
        "borg", "bose", "brahmagupta", "brattain", "brown", "carson", "cerf", "chandrasekhar", "clarke", "curie",
        "darwin", "davinci", "dijkstra", "dirac", "einstein", "elion", "engelbart", "euclid", "euler", "faraday",
        "fermat", "fermi", "feynman", "franklin", "galileo", "gauss", "goldberg", "goodall", "hamilton", "hawking",
        "heisenberg", "hermann", "hodgkin", "hoover", "hopper", "hypatia", "jang", "jennings", "johnson", "kalam",
        "kepler", "khorana", "knuth", "kowalevski", "lalande", "lamarr", "leakey", "leavitt", "lovelace", "lumiere",
        "mahavira", "margulis", "mayer", "mccarthy", "mcclintock", "meitner", "mendel", "mirzakhani", "montalcini", "morse",
        "napier", "nash", "newton", "nobel", "noether", "pascal", "pasteur", "perlman", "pike", "poincare",
        "ptolemy", "raman", "ritchie", "rosalind", "saha", "sammet", "shannon", "shockley", "sinoussi", "stonebraker",
        "swanson", "tesla", "thompson", "torvalds", "turing", "varahamihira", "volhard", "wescoff", "wiles", "williams",
        "wilson", "wing", "wozniak", "wright", "yalow", "yonath",
    ];

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex Valid();

    /// <summary>The name without its "/", or an <see cref="EngineErrorCode.InvalidArgument"/> in docker's words.</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bare = name.StartsWith('/') ? name[1..] : name;
        if (!Valid().IsMatch(bare))
        {
            throw new EngineException(EngineErrorCode.InvalidArgument, $"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }
        return bare;
    }

    /// <summary>adjective_surname; after a collision, with a digit as docker adds one (<paramref name="attempt"/> &gt; 0).</summary>
    public static string Generate(int attempt = 0)
    {
        var name = Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)] + "_" + Surnames[RandomNumberGenerator.GetInt32(Surnames.Length)];
        return attempt > 0 ? name + RandomNumberGenerator.GetInt32(10).ToString(System.Globalization.CultureInfo.InvariantCulture) : name;
    }
}
