//! FUNCTION and FCALL against Redis 7.0.15's replies, byte for byte.

use crate::persist::unhex;
use crate::testkit::{debug_server, frame, server, TestClient};

/// A library `lib` with one function `f` whose body is `body`.
fn lib(lib: &str, f: &str, body: &str) -> String {
    format!("#!lua name={lib}\nredis.register_function('{f}', function(KEYS, ARGV)\n {body} \nend)")
}

fn load(c: &mut TestClient, code: &str) -> String {
    c.cmd(&["FUNCTION", "LOAD", code])
}

/// FUNCTION DUMP of real redis-server 7.0.15 (rdbcompression yes) holding two libraries:
/// `mylib` (LZF-compressed; `get_it` with a description and no-writes, `set_it`) and `lib2`.
const REDIS_DUMP: &str = "f5404623216c7561206e616d653d6c6962320a72656469732e72656769737465725f\
66756e6374696f6e28226632222c2066756e6374696f6e28292072657475726e203220656e6429f5c340bc411c1f\
23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0866756e6374696f6e7bc008005f\
602b12226765745f6974222c2063616c6c6261636b3dc02012286b6579732c2061726773292072657475726e2006\
4054402a042822474554203640241f5b315d2920656e642c20666c6167733d7b226e6f2d777269746573227d2c20\
6405657363726970407d083d2272656164732061403701227de00fa402282273c096e01f8d0053e0038d80b5a096\
0164290a00a035bdb2ca83eca9";

const MYLIB: &str = "#!lua name=mylib\nredis.register_function{function_name=\"get_it\", \
callback=function(keys, args) return redis.call(\"GET\", keys[1]) end, flags={\"no-writes\"}, \
description=\"reads a key\"}\nredis.register_function(\"set_it\", function(keys, args) return \
redis.call(\"SET\", keys[1], args[1]) end)";

const LIB2: &str = "#!lua name=lib2\nredis.register_function(\"f2\", function() return 2 end)";

#[test]
fn load_call_and_list() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(
        load(&mut c, &lib("test", "test", "return 'hello'")),
        "$4\r\ntest\r\n"
    );
    assert_eq!(c.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["FCALL", "TEST", "0"]), "$5\r\nhello\r\n");
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST"]),
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$4\r\ntest\r\n$6\r\nengine\r\n$3\r\nLUA\r\n\
         $9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$4\r\ntest\r\n$11\r\ndescription\r\n\
         $-1\r\n$5\r\nflags\r\n*0\r\n"
    );
    assert_eq!(load(&mut c, MYLIB), "$5\r\nmylib\r\n");
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "my*"]),
        format!(
            "*1\r\n%4\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n\
             $9\r\nfunctions\r\n*2\r\n%3\r\n$4\r\nname\r\n$6\r\nget_it\r\n$11\r\ndescription\r\n\
             $11\r\nreads a key\r\n$5\r\nflags\r\n~1\r\n+no-writes\r\n%3\r\n$4\r\nname\r\n\
             $6\r\nset_it\r\n$11\r\ndescription\r\n_\r\n$5\r\nflags\r\n~0\r\n\
             $12\r\nlibrary_code\r\n${}\r\n{MYLIB}\r\n",
            MYLIB.len()
        )
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "STATS"]),
        "%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n%2\r\n\
         $15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n"
    );
    c.cmd(&["HELLO", "2"]);
    assert_eq!(
        c.cmd(&["FUNCTION", "STATS"]),
        "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n\
         $15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n"
    );
    assert_eq!(c.cmd(&["FCALL", "set_it", "1", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["FCALL_RO", "get_it", "1", "k"]), "$1\r\nv\r\n");
    let f = &srv.scripting.functions;
    assert_eq!((f.library_count(), f.function_count()), (2, 3));
    assert!(f.vm_memory() > 0 && f.memory() > 0);
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "mylib"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["FUNCTION", "DELETE", "mylib"]),
        "-ERR Library not found\r\n"
    );
    assert_eq!(
        c.cmd(&["FCALL", "get_it", "0"]),
        "-ERR Function not found\r\n"
    );
    // SCRIPT FLUSH drops the EVAL VM only.
    assert_eq!(c.cmd(&["SCRIPT", "FLUSH"]), "+OK\r\n");
    assert_eq!(c.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["FUNCTION", "FLUSH", "ASYNC"]), "+OK\r\n");
    assert_eq!(c.cmd(&["FUNCTION", "LIST"]), "*0\r\n");
    assert_eq!((f.library_count(), f.function_count()), (0, 0));
}

#[test]
fn load_errors_are_redis_errors() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let cases: &[(&str, &str)] = &[
        ("return 1", "ERR Missing library metadata"),
        ("#!lua name=x", "ERR Invalid library metadata"),
        (
            "#!lua name=l foo=bar\nreturn 1",
            "ERR Invalid metadata value given: foo=bar",
        ),
        ("#!lua\nreturn 1", "ERR Library name was not given"),
        (
            "#!lua name=a name=b\n",
            "ERR Invalid metadata value, name argument was given multiple times",
        ),
        (
            "#!lua name=a-b\nreturn 1",
            "ERR Library names can only contain letters, numbers, or underscores(_) and must be \
             at least one character long",
        ),
        ("#!js name=ab\nreturn 1", "ERR Engine 'js' not found"),
        ("#! name=ab\nreturn 1", "ERR Engine '' not found"),
        ("#!lua name=l\nreturn 1", "ERR No functions registered"),
        (
            "#!lua name=l\nbad script",
            "ERR Error compiling function: user_function:2: '=' expected near 'script'",
        ),
        (
            "#!lua name=l\nreturn math.random()",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access \
             nonexistent global variable 'math'",
        ),
        (
            "#!lua name=l\nreturn redis.call('ping')",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access \
             nonexistent global variable 'call'",
        ),
        (
            "#!lua name=l\nredis.setresp(3)",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access \
             nonexistent global variable 'setresp'",
        ),
        (
            "#!lua name=l\na = 1",
            "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly \
             table",
        ),
        (
            "#!lua name=l\nlocal x = nil; x()",
            "ERR Error registering functions: ERR user_function:2: attempt to call local 'x' (a \
             nil value)",
        ),
        (
            "#!lua name=l\nredis.register_function()",
            "ERR Error registering functions: ERR wrong number of arguments to \
             redis.register_function",
        ),
        (
            "#!lua name=l\nredis.register_function('f', function() end)\n\
             redis.register_function('f', function() end)",
            "ERR Error registering functions: ERR Function already exists in the library",
        ),
        (
            "#!lua name=l\nredis.register_function('f')",
            "ERR Error registering functions: ERR calling redis.register_function with a single \
             argument is only applicable to Lua table (representing named arguments).",
        ),
        (
            "#!lua name=l\nredis.register_function(nil, function() end)",
            "ERR Error registering functions: ERR first argument to redis.register_function must \
             be a string",
        ),
        (
            "#!lua name=l\nredis.register_function('f', 'x')",
            "ERR Error registering functions: ERR second argument to redis.register_function \
             must be a function",
        ),
        (
            "#!lua name=l\nredis.register_function('a\\0b', function() end)",
            "ERR Error registering functions: ERR Library names can only contain letters, \
             numbers, or underscores(_) and must be at least one character long",
        ),
        (
            "#!lua name=l\nredis.register_function{function_name='f', callback=function() end, \
             flags='x'}",
            "ERR Error registering functions: ERR flags argument to redis.register_function must \
             be a table representing function flags",
        ),
        (
            "#!lua name=l\nredis.register_function{function_name='f', callback=function() end, \
             flags={'bad'}}",
            "ERR Error registering functions: ERR unknown flag given",
        ),
        (
            "#!lua name=l\nredis.register_function{function_name='f', callback='x'}",
            "ERR Error registering functions: ERR callback argument given to \
             redis.register_function must be a function",
        ),
        (
            "#!lua name=l\nredis.register_function{function_name='f', callback=function() end, \
             x=1}",
            "ERR Error registering functions: ERR unknown argument given to \
             redis.register_function",
        ),
        (
            "#!lua name=l\nredis.register_function{callback=function() end}",
            "ERR Error registering functions: ERR redis.register_function must get a function \
             name argument",
        ),
        (
            "#!lua name=l\nredis.register_function{function_name='f'}",
            "ERR Error registering functions: ERR redis.register_function must get a callback \
             argument",
        ),
        (
            "#!lua name=l\nredis.redis.call('ping')",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access \
             nonexistent global variable 'redis'",
        ),
    ];
    for (code, want) in cases {
        assert_eq!(load(&mut c, code), format!("-{want}\r\n"), "{code}");
    }
    assert_eq!(
        c.cmd(&["FUNCTION", "LOAD", "foo", "bar", "x"]),
        "-ERR Unknown option given: foo\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "LOAD", "REPLACE"]),
        "-ERR Missing library metadata\r\n"
    );
    assert_eq!(srv.scripting.functions.library_count(), 0);
    // Nothing of a failed load is left behind: no global, no library, no function.
    assert_eq!(load(&mut c, &lib("l", "f", "return a")), "$1\r\nl\r\n");
    assert_eq!(
        c.cmd(&["FCALL", "f", "0"]),
        "-ERR user_function:3: Script attempted to access nonexistent global variable 'a' \
         script: f, on @user_function:3.\r\n"
    );
}

#[test]
fn named_arguments_flags_and_collisions() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let code = "#!lua name=lib\nredis.register_function{function_name='f1', callback=function() \
                return redis.call('set', 'x', 1) end, flags={'NO-WRITES', 'allow-stale'}, \
                description='some desc'}\nredis.register_function('f2', function() return \
                redis.call('set', 'x', 1) end)";
    assert_eq!(load(&mut c, code), "$3\r\nlib\r\n");
    assert_eq!(
        c.cmd(&["FCALL", "f1", "0"]),
        "-ERR Write commands are not allowed from read-only scripts. script: f1, on \
         @user_function:2.\r\n"
    );
    assert_eq!(
        c.cmd(&["FCALL_RO", "f2", "0"]),
        "-ERR Can not execute a script with write flag using *_ro command.\r\n"
    );
    assert_eq!(c.cmd(&["FCALL", "f2", "0"]), "+OK\r\n");
    assert_eq!(
        load(
            &mut c,
            "#!lua name=lib\nredis.register_function('x', function() end)"
        ),
        "-ERR Library 'lib' already exists\r\n"
    );
    assert_eq!(
        load(
            &mut c,
            "#!lua name=other\nredis.register_function('F1', function() end)"
        ),
        "-ERR Function F1 already exists\r\n"
    );
    // A failed REPLACE keeps the library it would have replaced.
    assert_eq!(
        c.cmd(&["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib\nerror"]),
        "-ERR Error compiling function: user_function:2: '=' expected near '<eof>'\r\n"
    );
    assert_eq!(c.cmd(&["FCALL", "f2", "0"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["FCALL", "f2", "x"]),
        "-ERR Bad number of keys provided\r\n"
    );
    assert_eq!(
        c.cmd(&["FCALL", "f2", "2", "k"]),
        "-ERR Number of keys can't be greater than number of args\r\n"
    );
    assert_eq!(
        c.cmd(&["FCALL", "f2", "-1", "k"]),
        "-ERR Number of keys can't be negative\r\n"
    );
    assert_eq!(
        c.cmd(&["FCALL", "nope", "x"]),
        "-ERR Function not found\r\n"
    );
    // register_function outside a load, through the redis table a library captured.
    let code = "#!lua name=sneaky\nlocal lib = redis\nlib.register_function('s1', function() \
                lib.redis = redis end)\nlib.register_function('s2', function() \
                lib.register_function('s3', function() end) end)\n\
                redis.register_function('s4', function() redis.register_function('s5', \
                function() end) end)";
    assert_eq!(load(&mut c, code), "$6\r\nsneaky\r\n");
    assert_eq!(
        c.cmd(&["FCALL", "s1", "0"]),
        "-ERR user_function:3: Attempt to modify a readonly table script: s1, on \
         @user_function:3.\r\n"
    );
    assert_eq!(
        c.cmd(&["FCALL", "s2", "0"]),
        "-ERR redis.register_function can only be called on FUNCTION LOAD command script: s2, \
         on @user_function:4.\r\n"
    );
    assert_eq!(
        c.cmd(&["FCALL", "s4", "0"]),
        "-ERR user_function:5: attempt to call field 'register_function' (a nil value) script: \
         s4, on @user_function:5.\r\n"
    );
}

#[test]
fn restores_a_payload_of_redis_and_dumps_the_same_bytes() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let payload = unhex(REDIS_DUMP);
    assert_eq!(
        c.raw(&frame(&[&b"FUNCTION"[..], b"RESTORE", &payload])),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["FCALL", "set_it", "1", "k", "v"]), "+OK\r\n");
    assert_eq!(c.cmd(&["FCALL_RO", "get_it", "1", "k"]), "$1\r\nv\r\n");
    assert_eq!(c.cmd(&["FCALL", "f2", "0"]), ":2\r\n");
    c.cmd(&["CONFIG", "SET", "rdbcompression", "yes"]);
    let dump = c.raw(&frame(&["FUNCTION", "DUMP"]));
    let mut want = format!("${}\r\n", payload.len()).into_bytes();
    want.extend_from_slice(&payload);
    want.extend_from_slice(b"\r\n");
    assert_eq!(dump, want);
    // Loaded in lode the same way, they dump to the bytes Redis wrote.
    c.cmd(&["FUNCTION", "FLUSH"]);
    load(&mut c, MYLIB);
    load(&mut c, LIB2);
    assert_eq!(c.raw(&frame(&["FUNCTION", "DUMP"])), want);
}

#[test]
fn restore_policies() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let dump = |c: &mut TestClient| {
        let out = c.raw(&frame(&["FUNCTION", "DUMP"]));
        let nl = out.iter().position(|&b| b == b'\n').unwrap();
        out[nl + 1..out.len() - 2].to_vec()
    };
    let restore = |c: &mut TestClient, payload: &[u8], policy: Option<&str>| {
        let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", payload];
        if let Some(p) = policy {
            args.push(p.as_bytes());
        }
        String::from_utf8_lossy(&c.raw(&frame(&args))).into_owned()
    };
    load(
        &mut c,
        "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)\n\
                  redis.register_function('f3', function() return 3 end)",
    );
    let e = dump(&mut c);
    c.cmd(&["FUNCTION", "FLUSH"]);
    load(
        &mut c,
        "#!lua name=lib1\nredis.register_function('f6', function() return 6 end)",
    );
    load(
        &mut c,
        "#!lua name=lib2\nredis.register_function('f3', function() return 33 end)",
    );
    assert_eq!(
        restore(&mut c, &e, None),
        "-ERR Library lib1 already exists\r\n"
    );
    assert_eq!(
        restore(&mut c, &e, Some("replace")),
        "-ERR Function f3 already exists\r\n"
    );
    assert_eq!(c.cmd(&["FCALL", "f6", "0"]), ":6\r\n");
    assert_eq!(c.cmd(&["FCALL", "f3", "0"]), ":33\r\n");
    assert_eq!(restore(&mut c, &e, Some("FLUSH")), "+OK\r\n");
    assert_eq!(c.cmd(&["FCALL", "f3", "0"]), ":3\r\n");
    assert_eq!(c.cmd(&["FCALL", "f6", "0"]), "-ERR Function not found\r\n");
    load(
        &mut c,
        "#!lua name=lib9\nredis.register_function('f9', function() return 9 end)",
    );
    let both = dump(&mut c);
    assert_eq!(restore(&mut c, &both, Some("REPLACE")), "+OK\r\n");
    assert_eq!(c.cmd(&["FUNCTION", "STATS"]).matches(":").count(), 2);
    assert_eq!(
        restore(&mut c, b"bad_payload", None),
        "-ERR DUMP payload version or checksum are wrong\r\n"
    );
    assert_eq!(
        restore(&mut c, &e, Some("bad")),
        "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "RESTORE", "a", "b", "c"]),
        "-ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION \
         HELP.\r\n"
    );
    // A payload of something else than functions: a key's DUMP.
    c.cmd(&["SET", "k", "v"]);
    let key = c.raw(&frame(&["DUMP", "k"]));
    let nl = key.iter().position(|&b| b == b'\n').unwrap();
    assert_eq!(
        restore(&mut c, &key[nl + 1..key.len() - 2], None),
        "-ERR given type is not a function\r\n"
    );
    // An entry as Redis 7.0's release candidates wrote it (RDB_OPCODE_FUNCTION).
    let mut old = vec![246u8, 2, b'r', b'c', 3, b'L', b'U', b'A', 0];
    let body = b"redis.register_function('rc', function() return 'old' end)";
    old.push(body.len() as u8);
    old.extend_from_slice(body);
    old.extend_from_slice(&crate::persist::RDB_VERSION.to_le_bytes());
    let crc = crate::persist::crc64::crc64(&old);
    old.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(restore(&mut c, &old, None), "+OK\r\n");
    assert_eq!(c.cmd(&["FCALL", "rc", "0"]), "$3\r\nold\r\n");
}

#[test]
fn subcommand_arguments() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "bad_argument"]),
        "-ERR Unknown argument bad_argument\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "libraryname"]),
        "-ERR library name argument was not given\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "withcode", "withcode"]),
        "-ERR Unknown argument withcode\r\n"
    );
    assert_eq!(
        c.cmd(&[
            "FUNCTION",
            "LIST",
            "withcode",
            "libraryname",
            "a",
            "libraryname",
            "b"
        ]),
        "-ERR Unknown argument libraryname\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "FLUSH", "bad"]),
        "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "FLUSH", "sync", "extra"]),
        "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION \
         HELP.\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "bad_subcommand"]),
        "-ERR unknown subcommand 'bad_subcommand'. Try FUNCTION HELP.\r\n"
    );
    let help = c.cmd(&["FUNCTION", "HELP"]);
    assert!(help.starts_with(
        "*40\r\n+FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
}

#[test]
fn changes_propagate_as_themselves_and_failures_not_at_all() {
    let srv = server();
    let mut reader = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    let code = lib("p", "pf", "return redis.call('set', KEYS[1], ARGV[1])");
    load(&mut c, &code);
    load(&mut c, &code);
    c.cmd(&["FUNCTION", "LOAD", "#!lua name=bad\nreturn 1"]);
    c.cmd(&["FCALL", "pf", "1", "k", "v"]);
    c.cmd(&["FUNCTION", "DELETE", "nope"]);
    c.cmd(&["FUNCTION", "DELETE", "p"]);
    c.cmd(&["FUNCTION", "FLUSH"]);
    let chunks = srv.keyspace.log.read(&mut reader).unwrap();
    let stream: Vec<u8> = chunks.iter().flat_map(|b| b.to_vec()).collect();
    // The script's effects are propagated as it called them.
    let mut want = frame(&["SELECT", "0"]);
    want.extend(frame(&["FUNCTION", "LOAD", &code]));
    want.extend(frame(&["set", "k", "v"]));
    want.extend(frame(&["FUNCTION", "DELETE", "p"]));
    want.extend(frame(&["FUNCTION", "FLUSH"]));
    assert_eq!(
        String::from_utf8_lossy(&stream),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn saved_in_rdb_and_reloaded() {
    let srv = debug_server();
    let mut c = TestClient::new(&srv);
    load(&mut c, &lib("test", "test", "return 'hello'"));
    c.cmd(&["SET", "x", "1"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(c.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["GET", "x"]), "$1\r\n1\r\n");
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOFLUSH"]),
        "-ERR Error trying to load the RDB dump\r\n"
    );
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOFLUSH", "MERGE"]), "+OK\r\n");
    load(&mut c, &lib("test2", "test2", "return 'two'"));
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]),
        "+OK\r\n"
    );
    assert_eq!(c.cmd(&["FCALL", "test2", "0"]), "$3\r\ntwo\r\n");
    assert_eq!(c.cmd(&["FCALL", "test", "0"]), "$5\r\nhello\r\n");
    // FLUSHALL and FLUSHDB leave the functions.
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["FLUSHDB"]);
    assert_eq!(srv.scripting.functions.library_count(), 2);
    // The file holds the functions before the databases, as Redis writes them.
    let file = crate::persistence::save_to_bytes(&srv, c.now).unwrap();
    let at = file.iter().position(|&b| b == 245).unwrap();
    let mut items = Vec::new();
    crate::persist::rdb::load_items(&file, &crate::persist::value::Limits::defaults(), |i| {
        if let crate::persist::rdb::Item::Function(code) = i {
            items.push(code);
        }
        Ok(())
    })
    .unwrap();
    assert!(at > 9 && items.len() == 2);
    assert!(items[0].starts_with(b"#!lua name=test\n"));
}

/// An RDB file real redis-server 7.0.15 saved holding the library `rdblib` (function `rf`)
/// and the key `k`.
const REDIS_RDB: &str = "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d\
62697473c040fa056374696d65c21f3b166bfa08757365642d6d656dc2983d1300fa08616f662d62617365c000f54\
05b23216c7561206e616d653d7264626c69620a72656469732e72656769737465725f66756e6374696f6e28277266\
272c2066756e6374696f6e286b6579732c2061726773292072657475726e202766726f6d207264622720656e6429f\
e00fb010000016b0176ff83208ae1793e4e6d";

#[test]
fn loads_an_rdb_file_of_redis_with_functions() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    load(&mut c, &lib("other", "of", "return 1"));
    let file = unhex(REDIS_RDB);
    crate::persistence::install_rdb(&srv, &file, c.now, true, false).unwrap();
    assert_eq!(c.cmd(&["FCALL", "rf", "0"]), "$8\r\nfrom rdb\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    // Flushed first: the library loaded before is gone.
    assert_eq!(c.cmd(&["FCALL", "of", "0"]), "-ERR Function not found\r\n");
    // Without flush, a library that exists fails the load; MERGE replaces it.
    let err = crate::persistence::install_rdb(&srv, &file, c.now, false, false).unwrap_err();
    assert!(
        err.what
            .contains("Failed loading library, Library 'rdblib' already exists"),
        "{err}"
    );
    crate::persistence::install_rdb(&srv, &file, c.now, false, true).unwrap();
    assert_eq!(srv.scripting.functions.library_count(), 1);
}

#[test]
fn aof_rewrite_bases_hold_the_functions_in_both_forms() {
    for rdb_preamble in [false, true] {
        let srv = server();
        srv.config.write().aof_use_rdb_preamble = rdb_preamble;
        let mut c = TestClient::new(&srv);
        let code = lib("a", "af", "return redis.call('get', KEYS[1])");
        load(&mut c, &code);
        c.cmd(&["SET", "k", "v"]);
        let job = crate::persistence::aof::begin_rewrite(&srv, c.now).unwrap();
        let base = job.snapshot.to_bytes(&srv.keyspace, &job.aux);
        if rdb_preamble {
            assert!(base.starts_with(b"REDIS0010"));
        } else {
            assert!(base.starts_with(&frame(&["FUNCTION", "LOAD", &code])));
        }
        // The base and an incremental file after it, replayed.
        let mut file = base;
        file.extend(frame(&["FUNCTION", "LOAD", &lib("b", "bf", "return 'b'")]));
        file.extend(frame(&["FUNCTION", "DELETE", "a"]));
        file.extend(frame(&[
            "FUNCTION",
            "LOAD",
            &lib("a", "af2", "return 'a2'"),
        ]));
        let copy = server();
        crate::persistence::aof::replay(&copy, &file, c.now, false).unwrap();
        let mut c2 = TestClient::new(&copy);
        assert_eq!(c2.cmd(&["FCALL", "bf", "0"]), "$1\r\nb\r\n");
        assert_eq!(c2.cmd(&["FCALL", "af2", "0"]), "$2\r\na2\r\n");
        assert_eq!(c2.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    }
}

#[test]
fn stats_show_the_running_function() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    srv.scripting.functions.set_running(Some(super::Running {
        name: "test".into(),
        argv: vec!["fcall".into(), "test".into(), "0".into()],
        started_us: 0,
    }));
    assert_eq!(
        c.cmd(&["FUNCTION", "STATS"]),
        "*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\ntest\r\n$7\r\ncommand\r\n\
         *3\r\n$5\r\nfcall\r\n$4\r\ntest\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:0\r\n$7\r\nengines\r\n\
         *2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:0\r\n$15\r\nfunctions_count\r\n:0\r\n"
    );
    srv.scripting.functions.set_running(None);
}
