using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Strata.Oci.Runtime;

namespace Strata.Oci.Tests.Runtime;

// SpecReader must read config.json exactly as JsonSerializer with RuntimeJsonContext does: the same object graph
// (compared by re-serialising both with the context) and the same errors (path, line, message).
public class SpecReaderTests
{
    // ---- equivalence ----

    [Fact]
    public void FullyPopulated_SetsEveryPropertyOfEveryClass()
    {
        // Guards the equivalence test below: when Spec.cs gains a property, Full() must set it (and SpecReader read it).
        var unset = new List<string>();
        CheckEverySet(Full(), "$", unset);
        Assert.True(unset.Count == 0, string.Join(", ", unset));
    }

    [Fact]
    public void FullyPopulated_ReadsAsTheSerializerDoes()
    {
        var json = SpecLoader.Serialize(Full());
        AssertSameAsSerializer(json);
        // And nothing was lost on the way: reading then writing gives back the document.
        Assert.Equal(json, SpecLoader.Serialize(SpecReader.Read(Encoding.UTF8.GetBytes(json))!));
    }

    [Fact]
    public void FullyPopulated_Compact_ReadsAsTheSerializerDoes() =>
        AssertSameAsSerializer(JsonSerializer.Serialize(JsonDocument.Parse(SpecLoader.Serialize(Full())).RootElement));

    [Fact]
    public void RuncSpec_ReadsAsTheSerializerDoes()
    {
        const string runc = "/usr/sbin/runc";
        Assert.True(File.Exists(runc), $"{runc} is needed for this test");
        foreach (var args in new[] { "spec", "spec --rootless" })
        {
            var dir = Directory.CreateTempSubdirectory("strata-runc-spec-").FullName;
            try
            {
                using (var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(runc, args) { WorkingDirectory = dir, RedirectStandardError = true })!)
                {
                    p.WaitForExit();
                    Assert.True(p.ExitCode == 0, $"runc {args}: {p.StandardError.ReadToEnd()}");
                }
                var json = File.ReadAllText(Path.Combine(dir, "config.json"));
                AssertSameAsSerializer(json);
                var spec = SpecLoader.ParseAndValidate(Encoding.UTF8.GetBytes(json));
                Assert.Equal(["sh"], spec.Process!.Args!);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Theory]
    [InlineData(StrataDefault)]
    [InlineData(StrataRootless)]
    [InlineData(PodmanLike)]
    [InlineData(UnknownFieldsEverywhere)]
    [InlineData(NullsAndEdgeValues)]
    [InlineData(EscapedAndDuplicateNames)]
    public void RealWorldConfigs_ReadAsTheSerializerDoes(string json) => AssertSameAsSerializer(json);

    [Fact]
    public void UnknownFields_KeptAtExtensionLevels_SkippedElsewhere()
    {
        var spec = SpecReader.Read(Encoding.UTF8.GetBytes(UnknownFieldsEverywhere))!;
        Assert.Equal(JsonValueKind.Object, spec.Extensions!["vm"].ValueKind);
        Assert.Equal("/x", spec.Extensions["vm"].GetProperty("hypervisor").GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Array, spec.Process!.Extensions!["future"].ValueKind);
        Assert.Equal(42, spec.Linux!.Extensions!["intelRdt"].GetProperty("closID").GetInt32());
        Assert.Equal(2, spec.Linux.Extensions["extensions"].GetProperty("q").GetInt32()); // the C# name is not special
        Assert.Equal("rootfs", spec.Root!.Path); // root's unknown "foo" skipped
        Assert.True(spec.Extensions.ContainsKey("Root")); // names are case-sensitive: "Root" is unknown, kept as such
        Assert.Equal("1.2.0", spec.OciVersion);
        Assert.Equal("9", spec.Extensions["OciVersion"].GetString());
    }

    [Fact]
    public void Nulls_SetReferencesToNull_AsTheSerializerDoes()
    {
        var spec = SpecReader.Read("""{"process":{"user":null,"cwd":null,"args":["a",null]},"annotations":{"k":null}}"""u8)!;
        Assert.Null(spec.Process!.User);
        Assert.Null(spec.Process.Cwd);
        Assert.Equal(new string?[] { "a", null }, spec.Process.Args!);
        Assert.Null(spec.Annotations!["k"]);
    }

    [Fact]
    public void DuplicateProperties_LastWins()
    {
        var spec = SpecReader.Read("""{"ociVersion":"1","process":{"user":{"uid":1}},"ociVersion":"2","process":{"args":["x"]},"x":1,"x":2}"""u8)!;
        Assert.Equal("2", spec.OciVersion);
        Assert.Equal(0u, spec.Process!.User.Uid); // the second process replaced the first, not merged
        Assert.Equal(2, spec.Extensions!["x"].GetInt32());
    }

    [Fact]
    public void NullDocument_IsReportedByTheLoader()
    {
        Assert.Null(SpecReader.Read("null"u8));
        var e = Assert.Throws<SpecException>(() => SpecLoader.Parse(" null "u8, "b/config.json"));
        Assert.Equal("b/config.json: the document is null, expected an object", e.Message);
    }

    // ---- errors ----

    [Theory]
    // wrong types
    [InlineData("""{"process":{"user":{"uid":"zero"}}}""", "$.process.user.uid")]
    [InlineData("""{"ociVersion":1}""", "$.ociVersion")]
    [InlineData("""{"ociVersion":true}""", "$.ociVersion")]
    [InlineData("""{"hostname":{}}""", "$.hostname")]
    [InlineData("""{"process":{"args":{}}}""", "$.process.args")]
    [InlineData("""{"process":{"args":["sh",1]}}""", "$.process.args[1]")]
    [InlineData("""{"process":[]}""", "$.process")]
    [InlineData("""{"process":"p"}""", "$.process")]
    [InlineData("""{"process":{"terminal":"yes"}}""", "$.process.terminal")]
    [InlineData("""{"process":{"terminal":null}}""", "$.process.terminal")]
    [InlineData("""{"process":{"user":{"umask":"022"}}}""", "$.process.user.umask")]
    [InlineData("""{"process":{"user":{"additionalGids":[1,"2"]}}}""", "$.process.user.additionalGids[1]")]
    [InlineData("""{"process":{"user":{"additionalGids":[1,null]}}}""", "$.process.user.additionalGids[1]")]
    [InlineData("""{"process":{"rlimits":[{"type":"RLIMIT_NOFILE","hard":1,"soft":1},{"type":"RLIMIT_CORE","hard":"1"}]}}""", "$.process.rlimits[1].hard")]
    [InlineData("""{"hooks":{"prestart":[{"path":"/x"},1]}}""", "$.hooks.prestart[1]")]
    [InlineData("""{"hooks":{"poststop":[{"path":"/x","timeout":1.5}]}}""", "$.hooks.poststop[0].timeout")]
    [InlineData("""{"annotations":{"a":"1","b":2}}""", "$.annotations.b")]
    [InlineData("""{"annotations":{"org.opencontainers.x":2}}""", "$.annotations['org.opencontainers.x']")]
    [InlineData("""{"linux":{"sysctl":[]}}""", "$.linux.sysctl")]
    [InlineData("""{"linux":{"uidMappings":[{"containerID":0,"hostID":1000,"size":"1"}]}}""", "$.linux.uidMappings[0].size")]
    [InlineData("""{"linux":{"timeOffsets":{"monotonic":{"secs":"1"}}}}""", "$.linux.timeOffsets.monotonic.secs")]
    [InlineData("""{"linux":{"timeOffsets":{"monotonic":3}}}""", "$.linux.timeOffsets.monotonic")]
    [InlineData("""{"linux":{"resources":{"memory":{"disableOOMKiller":1}}}}""", "$.linux.resources.memory.disableOOMKiller")]
    [InlineData("""{"linux":{"resources":{"rdma":{"mlx_0":{"hcaHandles":"x"}}}}}""", "$.linux.resources.rdma.mlx_0.hcaHandles")]
    [InlineData("""{"linux":{"resources":{"unified":{"memory.high":5}}}}""", "$.linux.resources.unified['memory.high']")]
    [InlineData("""{"linux":{"seccomp":{"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":"1","op":"SCMP_CMP_EQ"}]}]}}}""", "$.linux.seccomp.syscalls[0].args[0].value")]
    [InlineData("""{"linux":{"namespaces":[{"type":"pid"},"net"]}}""", "$.linux.namespaces[1]")]
    [InlineData("""[]""", "$")]
    // numbers: negative for unsigned, overflow, fractions, exponents, leading zeros
    [InlineData("""{"process":{"user":{"uid":-1}}}""", "$.process.user.uid")]
    [InlineData("""{"process":{"user":{"uid":4294967296}}}""", "$.process.user.uid")]
    [InlineData("""{"process":{"user":{"gid":1.0}}}""", "$.process.user.gid")]
    [InlineData("""{"process":{"user":{"gid":1e3}}}""", "$.process.user.gid")]
    [InlineData("""{"process":{"user":{"gid":01}}}""", "$.process.user.gid")]
    [InlineData("""{"process":{"oomScoreAdj":2147483648}}""", "$.process.oomScoreAdj")]
    [InlineData("""{"linux":{"resources":{"cpu":{"shares":18446744073709551616}}}}""", "$.linux.resources.cpu.shares")]
    [InlineData("""{"linux":{"resources":{"blockIO":{"weight":65536}}}}""", "$.linux.resources.blockIO.weight")]
    [InlineData("""{"linux":{"devices":[{"path":"/dev/x","type":"c","major":1,"minor":1,"fileMode":-1}]}}""", "$.linux.devices[0].fileMode")]
    // malformed documents
    [InlineData("""{"ociVersion":"1.2.0","root":""", "$.root")]
    [InlineData("""{"process":{"args":["a","b" """, "$.process.args[2]")]
    [InlineData("""{"process":{"args":["a","b""", "$.process.args[1]")]
    [InlineData("""{"ociVersion":"1.2.0"} x""", "$")]
    [InlineData("""{"ociVersion":"1.2.0"}{}""", "$")]
    [InlineData("""{"ociVersion":"1.2.0"}}""", "$")]
    [InlineData("""{"ociVersion":tru}""", "$.ociVersion")]
    [InlineData("""{"ociVersion":/* c */"1.2.0"}""", "$.ociVersion")]
    [InlineData("""{"ociVersion":"1.2.0"} // c""", "$")]
    [InlineData("""{"ociVersion":"1.2.0",}""", "$")]
    [InlineData("""{"process":{"capabilities":{"bounding":["CAP_KILL",]}}}""", "$.process.capabilities.bounding[1]")]
    [InlineData("""{"process":{"user":{"uid":0,}}}""", "$.process.user")]
    [InlineData("""{"annotations":{"a":"1",}}""", "$.annotations.a")]
    [InlineData("""{"linux":{"intelRdt":{"closID":[1,}}}}""", "$.linux.intelRdt")]
    [InlineData("""{"root":{"path":"r","future":[}}}""", "$.root.future")]
    [InlineData("""{"process" {}}""", "$")]
    [InlineData("", "$")]
    [InlineData("   ", "$")]
    public void Errors_NameThePath_AsTheSerializerDoes(string json, string path)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var e = Assert.Throws<SpecException>(() => SpecLoader.Parse(bytes, "config.json"));
        Assert.StartsWith("config.json: malformed JSON at " + path + " (line 1): ", e.Message, StringComparison.Ordinal);
        Assert.Equal(SerializerMessage(bytes, "config.json"), e.Message);
        var inner = Assert.IsAssignableFrom<JsonException>(e.InnerException);
        Assert.Equal(path, inner.Path);
    }

    [Fact]
    public void Errors_ReportTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes("{\n  \"process\": {\n    \"user\": {\n      \"uid\": \"0\"\n    }\n  }\n}\n");
        var e = Assert.Throws<SpecException>(() => SpecLoader.Parse(bytes, "b/config.json"));
        Assert.Equal("b/config.json: malformed JSON at $.process.user.uid (line 4): The JSON value could not be converted to System.UInt32", e.Message);
        Assert.Equal(SerializerMessage(bytes, "b/config.json"), e.Message);

        bytes = Encoding.UTF8.GetBytes("{\r\n\t\"linux\": {\r\n\t\t\"maskedPaths\": [\r\n\t\t\t\"/proc/kcore\",\r\n\t\t]\r\n\t}\r\n}");
        e = Assert.Throws<SpecException>(() => SpecLoader.Parse(bytes, "b/config.json"));
        Assert.Contains("at $.linux.maskedPaths[1] (line 5)", e.Message, StringComparison.Ordinal);
        Assert.Equal(SerializerMessage(bytes, "b/config.json"), e.Message);
    }

    [Fact]
    public void Errors_InvalidUtf8AndDeepNesting_AsTheSerializerDoes()
    {
        byte[][] documents =
        [
            [.. """{"ociVersion":"a"""u8, 0xFF, .. "\"}"u8],
            [.. """{"annotations":{"k":"1","""u8, 0xFF, .. "\":\"2\"}}"u8],
            Encoding.UTF8.GetBytes("""{"vm":""" + new string('[', 80) + new string(']', 80) + "}"),
        ];
        foreach (var bytes in documents)
        {
            var e = Assert.Throws<SpecException>(() => SpecLoader.Parse(bytes, "config.json"));
            Assert.Equal(SerializerMessage(bytes, "config.json"), e.Message);
        }
        // A name that is not UTF-8 is kept with a replacement character, as the serializer does.
        byte[] name = [.. """{"x"""u8, 0xFF, .. "\":1}"u8];
        Assert.Equal(JsonSerializer.Serialize(JsonSerializer.Deserialize(name, RuntimeJsonContext.Default.Spec)!, RuntimeJsonContext.Default.Spec),
            SpecLoader.Serialize(SpecReader.Read(name)!));
    }

    // ---- helpers ----

    private static void AssertSameAsSerializer(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var expected = JsonSerializer.Deserialize(bytes, RuntimeJsonContext.Default.Spec)!;
        var actual = SpecReader.Read(bytes)!;
        Assert.Equal(SpecLoader.Serialize(expected), SpecLoader.Serialize(actual));
        // The serialised text alone cannot tell a known property from an unknown one of the same name that
        // landed in Extensions (written last, so in the same place for the last property): compare the keys too.
        Assert.Equal(Keys(expected.Extensions), Keys(actual.Extensions));
        Assert.Equal(Keys(expected.Process?.Extensions), Keys(actual.Process?.Extensions));
        Assert.Equal(Keys(expected.Linux?.Extensions), Keys(actual.Linux?.Extensions));
    }

    private static string Keys(Dictionary<string, JsonElement>? extensions) =>
        extensions is null ? "(null)" : string.Join(",", extensions.Keys);

    /// <summary>The message SpecLoader.Parse gave when it read with JsonSerializer.</summary>
    private static string SerializerMessage(byte[] json, string source)
    {
        try
        {
            JsonSerializer.Deserialize(json, RuntimeJsonContext.Default.Spec);
            return "(no error)";
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path}";
            var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
            var message = e.Message;
            var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
            return $"{source}: malformed JSON{where}{line}: {(cut > 0 ? message[..cut] : message)}";
        }
    }

    /// <summary>Every public property of every Strata.Oci.Runtime object reached holds a non-default value.</summary>
    private static void CheckEverySet(object value, string path, List<string> unset)
    {
        var type = value.GetType();
        if (type.Namespace != typeof(Spec).Namespace)
        {
            if (value is IDictionary dictionary)
            {
                if (dictionary.Count == 0) unset.Add(path + " (empty)");
                foreach (DictionaryEntry entry in dictionary)
                {
                    if (entry.Value is not null) CheckEverySet(entry.Value, $"{path}.{entry.Key}", unset);
                }
            }
            else if (value is IList list && value is not string)
            {
                if (list.Count == 0) unset.Add(path + " (empty)");
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is { } item) CheckEverySet(item, $"{path}[{i}]", unset);
                }
            }
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var v = property.GetValue(value);
            var fresh = property.GetValue(Activator.CreateInstance(type));
            var at = $"{path}.{property.Name}";
            if (v is null || (property.PropertyType.IsValueType && Equals(v, fresh)) || (v is string str && str == (string?)fresh))
            {
                unset.Add(at);
            }
            else
            {
                CheckEverySet(v, at, unset);
            }
        }
    }

    private static JsonElement Element(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static Spec Full() => new()
    {
        OciVersion = "1.2.0",
        Process = new()
        {
            Terminal = true,
            ConsoleSize = new() { Height = 24, Width = 80 },
            User = new() { Uid = 1000, Gid = 1001, Umask = 18, AdditionalGids = [5, 4294967295], Username = "me" },
            Args = ["sh", "-c", "echo \"hi\" \u00e9\u2028"],
            CommandLine = "sh -c true",
            Env = ["PATH=/bin", "TERM=xterm"],
            Cwd = "/work",
            Capabilities = new() { Bounding = ["CAP_KILL"], Effective = ["CAP_CHOWN"], Inheritable = ["CAP_FOWNER"], Permitted = ["CAP_KILL", "CAP_CHOWN"], Ambient = ["CAP_NET_BIND_SERVICE"] },
            Rlimits = [new() { Type = "RLIMIT_NOFILE", Hard = ulong.MaxValue, Soft = 1024 }],
            NoNewPrivileges = true,
            ApparmorProfile = "strata-default",
            OomScoreAdj = -1000,
            SelinuxLabel = "system_u:system_r:container_t:s0",
            IoPriority = new() { Class = "IOPRIO_CLASS_RT", Priority = 3 },
            Scheduler = new() { Policy = "SCHED_DEADLINE", Nice = -5, Priority = 7, Flags = ["SCHED_FLAG_RESET_ON_FORK"], Runtime = 10, Deadline = 20, Period = 30 },
            ExecCPUAffinity = new() { Initial = "0-3", Final = "1" },
            Extensions = new() { ["processFuture"] = Element("""{"a":[1,2.5,true,null,"s"]}""") },
        },
        Root = new() { Path = "rootfs", Readonly = true },
        Hostname = "box",
        Domainname = "example.org",
        Mounts =
        [
            new()
            {
                Destination = "/data", Type = "bind", Source = "/srv/data", Options = ["rbind", "ro"],
                UidMappings = [new() { ContainerID = 2, HostID = 100000, Size = 65536 }],
                GidMappings = [new() { ContainerID = 1, HostID = 200000, Size = 10 }],
            },
        ],
        Hooks = new()
        {
            Prestart = [new() { Path = "/bin/pre", Args = ["pre", "1"], Env = ["A=1"], Timeout = 5 }],
            CreateRuntime = [new() { Path = "/bin/cr", Args = ["cr"], Env = ["B=2"], Timeout = 6 }],
            CreateContainer = [new() { Path = "/bin/cc", Args = ["cc"], Env = ["C=3"], Timeout = 7 }],
            StartContainer = [new() { Path = "/bin/sc", Args = ["sc"], Env = ["D=4"], Timeout = 8 }],
            Poststart = [new() { Path = "/bin/ps", Args = ["ps"], Env = ["E=5"], Timeout = 9 }],
            Poststop = [new() { Path = "/bin/pt", Args = ["pt"], Env = ["F=6"], Timeout = -1 }],
        },
        Annotations = new() { ["org.opencontainers.image.ref"] = "x", ["a b"] = "c" },
        Linux = new()
        {
            UidMappings = [new() { ContainerID = 3, HostID = 1000, Size = 1 }],
            GidMappings = [new() { ContainerID = 4, HostID = 1000, Size = 1 }],
            Sysctl = new() { ["net.ipv4.ip_forward"] = "1" },
            Resources = new()
            {
                Devices = [new() { Allow = true, Type = "c", Major = 1, Minor = -1, Access = "rwm" }],
                Memory = new() { Limit = 1 << 30, Reservation = 1 << 29, Swap = 1L << 31, Kernel = -1, KernelTCP = 1 << 20, Swappiness = 60, DisableOOMKiller = true, UseHierarchy = false, CheckBeforeUpdate = true },
                Cpu = new() { Shares = 1024, Quota = 50000, Burst = 1000, Period = 100000, RealtimeRuntime = 950000, RealtimePeriod = 1000000, Cpus = "0-1", Mems = "0", Idle = 1 },
                Pids = new() { Limit = 4096 },
                BlockIO = new()
                {
                    Weight = 500, LeafWeight = 300,
                    WeightDevice = [new() { Major = 8, Minor = 16, Weight = 100, LeafWeight = 50 }],
                    ThrottleReadBpsDevice = [new() { Major = 8, Minor = 1, Rate = 1 }],
                    ThrottleWriteBpsDevice = [new() { Major = 8, Minor = 2, Rate = 2 }],
                    ThrottleReadIOPSDevice = [new() { Major = 8, Minor = 3, Rate = 3 }],
                    ThrottleWriteIOPSDevice = [new() { Major = 8, Minor = 4, Rate = ulong.MaxValue }],
                },
                HugepageLimits = [new() { PageSize = "2MB", Limit = 1 << 21 }],
                Network = new() { ClassID = 1048577, Priorities = [new() { Name = "eth0", Priority = 500 }] },
                Rdma = new() { ["mlx5_1"] = new() { HcaHandles = 3, HcaObjects = 10000 } },
                Unified = new() { ["memory.high"] = "max", ["io.weight"] = "default 100" },
            },
            CgroupsPath = "/strata/box",
            Namespaces = [new() { Type = "pid", Path = "/proc/1/ns/pid" }, new() { Type = "network", Path = "/var/run/netns/x" }],
            Devices = [new() { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229, FileMode = 438, Uid = 0, Gid = 5 }],
            Seccomp = new()
            {
                DefaultAction = "SCMP_ACT_ERRNO",
                DefaultErrnoRet = 1,
                Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                Flags = ["SECCOMP_FILTER_FLAG_LOG"],
                ListenerPath = "/run/seccomp.sock",
                ListenerMetadata = "meta",
                Syscalls =
                [
                    new()
                    {
                        Names = ["personality"], Action = "SCMP_ACT_ALLOW", ErrnoRet = 38,
                        Args = [new() { Index = 5, Value = 8, ValueTwo = ulong.MaxValue, Op = "SCMP_CMP_MASKED_EQ" }],
                    },
                ],
            },
            RootfsPropagation = "rslave",
            MaskedPaths = ["/proc/kcore"],
            ReadonlyPaths = ["/proc/sys"],
            MountLabel = "system_u:object_r:container_file_t:s0",
            Personality = new() { Domain = "LINUX32", Flags = ["ADDR_NO_RANDOMIZE"] },
            TimeOffsets = new() { ["monotonic"] = new() { Secs = -86400, Nanosecs = 999999999 }, ["boottime"] = new() { Secs = long.MaxValue, Nanosecs = 1 } },
            Extensions = new() { ["intelRdt"] = Element("""{"closID":"guaranteed_group","l3CacheSchema":"L3:0=7f0"}""") },
        },
        Extensions = new() { ["vm"] = Element("""{"hypervisor":{"path":"/usr/bin/qemu","parameters":["-m","512"]}}"""), ["windows"] = Element("null") },
    };

    // The config `strata spec` writes (DefaultSpec.Create()), as serialised by the context.
    private const string StrataDefault = """
        {
          "ociVersion": "1.2.0",
          "process": {
            "terminal": true,
            "user": { "uid": 0, "gid": 0 },
            "args": [ "sh" ],
            "env": [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm" ],
            "cwd": "/",
            "capabilities": {
              "bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
              "effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
              "permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
              "ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
            },
            "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
            "noNewPrivileges": true
          },
          "root": { "path": "rootfs", "readonly": true },
          "hostname": "strata",
          "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
            { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
            { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
            { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": [ "nosuid", "noexec", "nodev" ] },
            { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": [ "nosuid", "noexec", "nodev", "ro" ] },
            { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
          ],
          "linux": {
            "resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
            "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" } ],
            "maskedPaths": [ "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi" ],
            "readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
          }
        }
        """;

    // DefaultSpec.CreateRootless(0, 0).
    private const string StrataRootless = """
        {
          "ociVersion": "1.2.0",
          "process": {
            "terminal": true,
            "user": { "uid": 0, "gid": 0 },
            "args": [ "sh" ],
            "env": [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm" ],
            "cwd": "/",
            "capabilities": {
              "bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
              "effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
              "permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
              "ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
            },
            "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
            "noNewPrivileges": true
          },
          "root": { "path": "rootfs", "readonly": true },
          "hostname": "strata",
          "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
            { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
            { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
            { "destination": "/sys", "type": "none", "source": "/sys", "options": [ "rbind", "nosuid", "noexec", "nodev", "ro" ] }
          ],
          "linux": {
            "uidMappings": [ { "containerID": 0, "hostID": 1000, "size": 1 } ],
            "gidMappings": [ { "containerID": 0, "hostID": 1000, "size": 1 } ],
            "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" }, { "type": "user" } ],
            "maskedPaths": [ "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi" ],
            "readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
          }
        }
        """;

    // Shaped like what podman/crun-style engines write: hooks, annotations, seccomp, resources, idmapped mounts.
    private const string PodmanLike = """
        {"ociVersion":"1.0.2-dev","process":{"user":{"uid":0,"gid":0,"umask":18,"additionalGids":[0,1,2,3,4,6,10,11,20,26,27]},
        "args":["/bin/sh","-c","sleep 1"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","container=podman","HOSTNAME=c1","HOME=/root"],
        "cwd":"/","capabilities":{"bounding":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"],
        "effective":["CAP_CHOWN","CAP_KILL"],"permitted":["CAP_CHOWN","CAP_KILL"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":1048576,"soft":1048576},{"type":"RLIMIT_NPROC","hard":4194304,"soft":4194304}],
        "oomScoreAdj":0,"selinuxLabel":"system_u:system_r:container_t:s0:c1,c2","apparmorProfile":"containers-default-0.50.1"},
        "root":{"path":"/var/lib/containers/storage/overlay/abc/merged"},"hostname":"c1",
        "mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
        {"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
        {"destination":"/data","type":"bind","source":"/home/u/data","options":["idmap","rbind"],"uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"gidMappings":[{"containerID":0,"hostID":1000,"size":1}]}],
        "hooks":{"createRuntime":[{"path":"/usr/libexec/podman/hook","args":["hook","--x"],"env":["A=B"],"timeout":10}],"poststop":[{"path":"/bin/true"}]},
        "annotations":{"io.container.manager":"libpod","io.podman.annotations.autoremove":"TRUE","org.opencontainers.image.stopSignal":"15"},
        "linux":{"sysctl":{"net.ipv4.ping_group_range":"0 0"},"resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":10,"minor":200,"access":"rwm"}],
        "memory":{"limit":536870912,"swap":1073741824},"cpu":{"shares":1024,"quota":100000,"period":100000,"cpus":"0-1"},"pids":{"limit":2048},
        "blockIO":{"weight":100,"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1048576}]},"hugepageLimits":[{"pageSize":"2MB","limit":0}],
        "unified":{"memory.oom.group":"1"}},"cgroupsPath":"machine.slice:libpod:abc","namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/netns-1"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}],
        "devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0}],
        "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
        "syscalls":[{"names":["bdflush","io_pgetevents"],"action":"SCMP_ACT_ERRNO","errnoRet":1},{"names":["accept","read","write"],"action":"SCMP_ACT_ALLOW"},
        {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]},
        {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]},
        "rootfsPropagation":"private","maskedPaths":["/proc/acpi","/proc/kcore"],"readonlyPaths":["/proc/asound","/proc/bus"],"mountLabel":"system_u:object_r:container_file_t:s0:c1,c2"}}
        """;

    private const string UnknownFieldsEverywhere = """
        {"ociVersion":"1.2.0","vm":{"hypervisor":{"path":"/x"}},"Root":{"path":"ignored-case"},"OciVersion":"9",
         "root":{"path":"rootfs","foo":[1,{"a":null}]},
         "process":{"args":["sh"],"future":[1,"two",{"three":3}],"user":{"uid":1,"gecos":"x"},"capabilities":{"bounding":[],"extra":true},
           "rlimits":[{"type":"RLIMIT_CORE","hard":1,"soft":1,"note":"n"}],"scheduler":{"policy":"SCHED_OTHER","x":{}},"ioPriority":{"class":"IOPRIO_CLASS_BE","y":[]}},
         "mounts":[{"destination":"/d","type":"bind","source":"/s","idmap":{"u":1}}],
         "hooks":{"prestart":[{"path":"/h","bogus":1}],"later":[]},
         "linux":{"intelRdt":{"closID":42},"extensions":{"q":2},"resources":{"memory":{"limit":1,"swapLimit":2},"misc":{"a":1},"network":{"classID":1,"p":2}},
           "seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_LOG","comment":"c","args":[{"index":1,"value":2,"op":"SCMP_CMP_NE","z":0}]}]},
           "personality":{"domain":"LINUX","w":1},"timeOffsets":{"boottime":{"secs":1,"nanosecs":2,"x":3}},"namespaces":[{"type":"time","flags":0}]},
         "windows":null,"solaris":{"milestone":"svc:/milestone/container:default"}}
        """;

    private const string NullsAndEdgeValues = """
        {"ociVersion":null,"process":{"user":null,"cwd":null,"args":["a",null],"env":null,"consoleSize":null,"oomScoreAdj":null,"capabilities":{"bounding":null}},
         "root":null,"mounts":[null,{"destination":"/x","options":[]}],"hooks":{"prestart":[null]},"annotations":{"k":null,"":"empty"},
         "linux":{"sysctl":{},"timeOffsets":{"monotonic":null},"resources":{"rdma":{"d":null},"memory":{"limit":-1,"swappiness":18446744073709551615,"disableOOMKiller":null}},
           "seccomp":{"defaultAction":"SCMP_ACT_KILL","syscalls":[{"names":null,"errnoRet":4294967295,"args":[{"index":4294967295,"value":0,"valueTwo":18446744073709551615,"op":"SCMP_CMP_GE"}]}]},
           "devices":[{"path":"/dev/x","type":"b","major":-9223372036854775808,"minor":9223372036854775807}]}}
        """;

    private const string EscapedAndDuplicateNames = """
        {"\u006fciVersion":"1.0.0","ociVersion":"1.2.0","pro\u0063ess":{"\u0061rgs":["e\u0073caped \"quoted\" \ud83d\ude00"],"args":["last"]},
         "annotations":{"dup":"1","dup":"2","\u00e9":"\u00e9"},"linux":{"maskedPaths":["/a"],"maskedPaths":null,"x\u0079":1,"xy":2},"\u0076m":{"a":1}}
        """;
}
