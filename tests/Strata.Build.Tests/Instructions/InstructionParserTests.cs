using Strata.Build.Instructions;
using Strata.Build.Syntax;

namespace Strata.Build.Tests.Instructions;

public class InstructionParserTests
{
    private static Dockerfile Parse(string text) => Dockerfile.Parse(text);

    // The instructions of the only stage of "FROM scratch\n" + text.
    private static T One<T>(string text) where T : Instruction =>
        Assert.IsType<T>(Assert.Single(Assert.Single(Parse("FROM scratch\n" + text).Stages).Instructions));

    private static DockerfileParseException Error(string text) => Assert.Throws<DockerfileParseException>(() => Parse(text));

    [Fact]
    public void Parse_Stages_GroupInstructionsAfterEachFrom()
    {
        var df = Parse("ARG VERSION=latest\nFROM busybox:$VERSION AS Build\nRUN a\nFROM --platform=linux/arm64 alpine\nCMD b\n");
        Assert.Single(df.GlobalArgs);
        Assert.Equal(2, df.Stages.Count);
        Assert.Equal(("busybox:$VERSION", "build", (string?)null), (df.Stages[0].From.BaseName, df.Stages[0].Name, df.Stages[0].From.Platform));
        Assert.Equal(("alpine", (string?)null, "linux/arm64"), (df.Stages[1].From.BaseName, df.Stages[1].Name, df.Stages[1].From.Platform));
        Assert.IsType<RunInstruction>(Assert.Single(df.Stages[0].Instructions));
        Assert.IsType<CmdInstruction>(Assert.Single(df.Stages[1].Instructions));
    }

    [Fact]
    public void Parse_InstructionBeforeFrom_IsAnError()
    {
        var e = Error("# comment\nRUN echo\nFROM a\n");
        Assert.Equal("dockerfile parse error on line 2: no build stage in current context", e.Message);
    }

    [Theory]
    [InlineData("FROM a\nFOO bar\n", 2, "unknown instruction: FOO (did you mean FROM?)")]
    [InlineData("FROM a\nBOGUS bar\n", 2, "unknown instruction: BOGUS")]
    [InlineData("FROM a\ncmdd x\n", 2, "unknown instruction: cmdd (did you mean cmd?)")]
    [InlineData("FROM node:latest\nWORKDIR /app\nADDD . .\n", 3, "unknown instruction: ADDD (did you mean ADD?)")]
    [InlineData("FORM alpine\n", 1, "unknown instruction: FORM (did you mean FROM?)")]
    [InlineData("FROM a\nservices:\n", 2, "unknown instruction: services:")]
    [InlineData("FROM a\nrun echo \\\n  && \\\n  user_interface\\Dockerfile\n\nfoo\n", 6, "unknown instruction: foo (did you mean from?)")]
    [InlineData("FROM a\nCOPY --\n", 2, "COPY requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("FROM a\nCOPY onlyone\n", 2, "COPY requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("FROM a\nADD x\n", 2, "ADD requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("FROM a\nHEALTHCHECK\n", 2, "HEALTHCHECK requires at least one argument")]
    [InlineData("FROM a\nEXPOSE\n", 2, "EXPOSE requires at least one argument")]
    [InlineData("FROM a\nVOLUME\n", 2, "VOLUME requires at least one argument")]
    [InlineData("FROM a\nARG\n", 2, "ARG requires at least one argument")]
    [InlineData("FROM a\nENV\n", 2, "ENV requires at least one argument")]
    [InlineData("FROM a\nLABEL\n", 2, "LABEL requires at least one argument")]
    [InlineData("FROM a\nONBUILD\n", 2, "ONBUILD requires at least one argument")]
    [InlineData("FROM a\nSHELL\n", 2, "SHELL requires at least one argument")]
    [InlineData("FROM a\nSHELL /bin/sh -c\n", 2, "SHELL requires the arguments to be in JSON form")]
    [InlineData("FROM a\nWORKDIR\n", 2, "WORKDIR requires exactly one argument")]
    [InlineData("FROM a\nUSER\n", 2, "USER requires exactly one argument")]
    [InlineData("FROM a\nSTOPSIGNAL\n", 2, "STOPSIGNAL requires exactly one argument")]
    [InlineData("FROM a\nMAINTAINER\n", 2, "MAINTAINER requires exactly one argument")]
    [InlineData("FROM\n", 1, "FROM requires either one or three arguments")]
    [InlineData("FROM a b\n", 1, "FROM requires either one or three arguments")]
    [InlineData("FROM a AS 1st\n", 1, "invalid name for build stage: \"1st\", name can't start with a number or contain symbols")]
    [InlineData("FROM a AS my/stage\n", 1, "invalid name for build stage: \"my/stage\", name can't start with a number or contain symbols")]
    [InlineData("FROM --platfrom=linux/amd64 a\n", 1, "unknown flag: --platfrom (did you mean platform?)")]
    [InlineData("FROM --platform a\n", 1, "missing a value on flag: --platform")]
    [InlineData("FROM a\nCOPY --chown=1 --chown=2 a b\n", 2, "duplicate flag specified: --chown")]
    [InlineData("FROM a\nCOPY --link=maybe a b\n", 2, "expecting boolean value for flag --link, not: maybe")]
    [InlineData("FROM a\nCOPY --link= a b\n", 2, "missing a value on flag: --link")]
    [InlineData("FROM a\nCOPY --mount=type=cache a b\n", 2, "unknown flag: --mount")]
    [InlineData("FROM a\nWORKDIR --chown=1 /x\n", 2, "unknown flag: --chown")]
    [InlineData("FROM a\nRUN --network=bridge make\n", 2, "unsupported network mode \"bridge\"")]
    [InlineData("FROM a\nRUN --security=root make\n", 2, "unsupported security mode \"root\"")]
    [InlineData("FROM a\nRUN --mount=type=volume,target=/x make\n", 2, "unsupported mount type \"volume\"")]
    [InlineData("FROM a\nRUN --mount=type=cache,target=/x,colour=red make\n", 2, "unexpected key 'colour' in 'colour=red'")]
    [InlineData("FROM a\nRUN --mount=type=cache,sharing=open,target=/x make\n", 2, "unsupported sharing value \"open\"")]
    [InlineData("FROM a\nRUN --mount=type=cache make\n", 2, "mount type cache requires a target")]
    [InlineData("FROM a\nHEALTHCHECK NONE extra\n", 2, "HEALTHCHECK NONE takes no arguments")]
    [InlineData("FROM a\nHEALTHCHECK CONNECT TCP 7000\n", 2, "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)")]
    [InlineData("FROM a\nHEALTHCHECK CMD\n", 2, "Missing command after HEALTHCHECK CMD")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5 CMD x\n", 2, "time: missing unit in duration \"5\"")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5parsecs CMD x\n", 2, "time: unknown unit \"parsecs\" in duration \"5parsecs\"")]
    [InlineData("FROM a\nHEALTHCHECK --timeout=10us CMD x\n", 2, "Interval \"timeout\" cannot be less than 1ms")]
    [InlineData("FROM a\nHEALTHCHECK --retries=-1 CMD x\n", 2, "--retries cannot be negative (-1)")]
    [InlineData("FROM a\nHEALTHCHECK --retries=many CMD x\n", 2, "strconv.ParseInt: parsing \"many\": invalid syntax")]
    [InlineData("FROM a\nONBUILD ONBUILD RUN x\n", 2, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")]
    [InlineData("FROM a\nONBUILD FROM b\n", 2, "FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("FROM a\nONBUILD MAINTAINER me\n", 2, "MAINTAINER isn't allowed as an ONBUILD trigger")]
    [InlineData("FROM a\nARG =x\n", 2, "ARG names can not be blank")]
    [InlineData("FROM a\nENV =x\n", 2, "ENV names can not be blank")]
    [InlineData("FROM a\nVOLUME [\"\"]\n", 2, "VOLUME specified can not be an empty string")]
    [InlineData("FROM a\nCOPY <<EOF <<DEST\nx\nEOF\ny\nDEST\n", 2, "COPY cannot accept a heredoc as a destination")]
    public void Parse_BadInstruction_ReportsDockersMessageAndLine(string text, int line, string detail)
    {
        var e = Error(text);
        Assert.Equal(detail, e.Detail);
        Assert.Equal(line, e.StartLine);
        Assert.Equal($"dockerfile parse error on line {line}: {detail}", e.Message);
        Assert.Equal($"Dockerfile:{line}", e.Location);
    }

    [Fact]
    public void From_AsIsCaseInsensitive_NameLowerCased()
    {
        var from = Parse("FROM golang:1.22 as Builder\n").Stages[0].From;
        Assert.Equal(("golang:1.22", "builder"), (from.BaseName, from.StageName));
    }

    [Fact]
    public void Arg_NamesAndDefaults()
    {
        var arg = Assert.Single(Parse("ARG user1 user2=someuser \"q\"=\"v w\"\nFROM a\n").GlobalArgs);
        Assert.Equal([new KeyValue("user1", null), new KeyValue("user2", "someuser"), new KeyValue("\"q\"", "\"v w\"")], arg.Args);
    }

    [Fact]
    public void Run_ShellAndExecForms()
    {
        var shell = One<RunInstruction>("RUN /bin/bash -c 'source $HOME/.bashrc && echo $HOME'\n");
        Assert.Equal(new[] { "/bin/bash -c 'source $HOME/.bashrc && echo $HOME'" }, shell.Command.Arguments);
        Assert.True(shell.Command.PrependShell);
        var exec = One<RunInstruction>("RUN [\"/bin/bash\", \"-c\", \"echo hello\"]\n");
        Assert.Equal(new[] { "/bin/bash", "-c", "echo hello" }, exec.Command.Arguments);
        Assert.False(exec.Command.PrependShell);
    }

    [Fact]
    public void Run_Mounts_ParseEveryType()
    {
        var run = One<RunInstruction>(
            "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt " +
            "--mount=type=bind,from=build,source=/out,target=/in,rw " +
            "--mount=type=tmpfs,target=/tmp,size=64m " +
            "--mount=type=secret,id=aws,target=/root/.aws/credentials,required " +
            "--mount=type=secret,id=token,env=TOKEN " +
            "--mount=type=ssh " +
            "--mount=target=/ctx " +
            "--network=none make\n");
        Assert.Equal("none", run.Network);
        Assert.Collection(run.Mounts,
            m => Assert.Equal((RunMountType.Cache, "/var/cache/apt", CacheSharing.Locked, "apt", false), (m.Type, m.Target, m.Sharing, m.Id, m.ReadOnly)),
            m => Assert.Equal((RunMountType.Bind, "build", "/out", "/in", false), (m.Type, m.From, m.Source, m.Target, m.ReadOnly)),
            m => Assert.Equal((RunMountType.Tmpfs, "/tmp", "64m"), (m.Type, m.Target, m.Size)),
            m => Assert.Equal((RunMountType.Secret, "aws", "/root/.aws/credentials", true), (m.Type, m.Id, m.Target, m.Required)),
            m => Assert.Equal((RunMountType.Secret, "token", "TOKEN"), (m.Type, m.Id, m.Env)),
            m => Assert.Equal(RunMountType.Ssh, m.Type),
            m => Assert.Equal((RunMountType.Bind, "/ctx", true), (m.Type, m.Target, m.ReadOnly)));
    }

    [Fact]
    public void Run_Heredoc_BecomesInlineFile()
    {
        var run = One<RunInstruction>("RUN <<EOF\n\tapt-get update\n\tapt-get install -y curl\nEOF\n");
        Assert.Equal(["<<EOF"], run.Command.Arguments);
        var file = Assert.Single(run.Files);
        Assert.Equal(("EOF", "\tapt-get update\n\tapt-get install -y curl\n"), (file.Name, file.Data));
        var chomped = One<RunInstruction>("RUN python3 <<-EOF > /hello\n\tprint('hi')\n\tEOF\n");
        Assert.Equal("print('hi')\n", Assert.Single(chomped.Files).EffectiveData);
    }

    [Fact]
    public void Copy_AllFlagsAndHeredocSources()
    {
        var copy = One<CopyInstruction>("COPY --from=build --chown=55:mygroup --chmod=644 --link --parents --exclude=*.tmp --exclude=cache a.txt <<EOF /dest/\nhello $NAME\nEOF\n");
        Assert.Equal(["a.txt"], copy.Sources);
        Assert.Equal(("/dest/", "build", "55:mygroup", "644", true, true), (copy.Destination, copy.From, copy.Chown, copy.Chmod, copy.Link, copy.Parents));
        Assert.Equal(["*.tmp", "cache"], copy.Excludes);
        Assert.Equal(new SourceContent("EOF", "hello $NAME\n", true), Assert.Single(copy.Contents));
        var quoted = One<CopyInstruction>("COPY <<-'EOF' /run.sh\n\techo $HOME\n\tEOF\n");
        Assert.Equal(new SourceContent("EOF", "echo $HOME\n", false), Assert.Single(quoted.Contents));
    }

    [Fact]
    public void Copy_JsonForm_KeepsSpaces()
    {
        var copy = One<CopyInstruction>("COPY [\"hom* file.txt\", \"/my dir/\"]\n");
        Assert.Equal(["hom* file.txt"], copy.Sources);
        Assert.Equal("/my dir/", copy.Destination);
    }

    [Fact]
    public void Add_Flags()
    {
        var add = One<AddInstruction>("ADD --checksum=sha256:24454f83 --keep-git-dir=true --unpack=false --chmod=755 https://example.com/x.tar.gz git@git.example.com:foo/bar.git /dst/\n");
        Assert.Equal(("sha256:24454f83", true, (bool?)false, "755"), (add.Checksum, add.KeepGitDir, add.Unpack, add.Chmod));
        Assert.Equal(["https://example.com/x.tar.gz", "git@git.example.com:foo/bar.git"], add.Sources);
        Assert.Null(One<AddInstruction>("ADD a b\n").Unpack);
    }

    [Fact]
    public void Env_BothForms()
    {
        Assert.Equal([new KeyValue("MY_NAME", "\"John Doe\""), new KeyValue("MY_CAT", "fluffy")],
            One<EnvInstruction>("ENV MY_NAME=\"John Doe\" MY_CAT=fluffy\n").Env);
        Assert.Equal([new KeyValue("MY_VAR", "my-value")], One<EnvInstruction>("ENV MY_VAR my-value\n").Env);
    }

    [Fact]
    public void Expose_PortsSorted()
    {
        Assert.Equal(["80/tcp", "80/udp", "8080"], One<ExposeInstruction>("EXPOSE 8080 80/udp 80/tcp\n").Ports);
    }

    [Fact]
    public void Volume_JsonAndPlain()
    {
        Assert.Equal(["/data", "/var/log"], One<VolumeInstruction>("VOLUME [\"/data\", \"/var/log\"]\n").Volumes);
        Assert.Equal(["/myvol"], One<VolumeInstruction>("VOLUME /myvol\n").Volumes);
    }

    [Fact]
    public void Healthcheck_CmdWithEveryOption()
    {
        var hc = One<HealthcheckInstruction>("HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 \\\n  CMD curl -f http://localhost/ || exit 1\n");
        Assert.Equal(["CMD-SHELL", "curl -f http://localhost/ || exit 1"], hc.Test);
        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500), 3),
            (hc.Interval, hc.Timeout, hc.StartPeriod, hc.StartInterval, hc.Retries));
        Assert.Equal(["CMD", "foo"], One<HealthcheckInstruction>("HEALTHCHECK --timeout=0s --retries=0 CMD [\"foo\"]\n").Test);
        var none = One<HealthcheckInstruction>("HEALTHCHECK NONE\n");
        Assert.Equal(["NONE"], none.Test);
    }

    [Fact]
    public void Cmd_Entrypoint_Shell_User_Workdir_Stopsignal_Maintainer()
    {
        Assert.Equal(["echo \"This is a test.\" | wc -"], One<CmdInstruction>("CMD echo \"This is a test.\" | wc -\n").Command.Arguments);
        var entry = One<EntrypointInstruction>("ENTRYPOINT [\"top\", \"-b\"]\n");
        Assert.Equal(["top", "-b"], entry.Command.Arguments);
        Assert.False(entry.Command.PrependShell);
        Assert.Empty(One<EntrypointInstruction>("ENTRYPOINT []\n").Command.Arguments);
        Assert.Equal(["powershell", "-command"], One<ShellInstruction>("SHELL [\"powershell\", \"-command\"]\n").Shell);
        Assert.Equal("patrick:staff", One<UserInstruction>("USER patrick:staff\n").User);
        Assert.Equal("/path/to/workdir", One<WorkdirInstruction>("WORKDIR /path/to/workdir\n").Path);
        Assert.Equal("SIGKILL", One<StopSignalInstruction>("STOPSIGNAL SIGKILL\n").Signal);
        Assert.Equal("Jane Doe <jane@example.com>", One<MaintainerInstruction>("MAINTAINER Jane Doe <jane@example.com>\n").Maintainer);
    }

    [Fact]
    public void Onbuild_KeepsTheTriggerText()
    {
        Assert.Equal("ADD . /app/src", One<OnbuildInstruction>("ONBUILD ADD . /app/src\n").Expression);
        Assert.Equal("RUN <<EOF\necho hi\nEOF", One<OnbuildInstruction>("onbuild RUN <<EOF\necho hi\nEOF\n").Expression);
    }

    [Fact]
    public void Errors_AfterHeredocs_CountTheirLines()
    {
        var e = Error("FROM a\nRUN <<EOF\n1\n2\nEOF\nBAD x\n");
        Assert.Equal(6, e.StartLine);
    }
}
