// Owns the one-time download of Kafka and Apicurio Registry from Maven Central into the cache dir.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaVersion } from '../config.js';
import { packageRoot } from './paths.js';

export const KAFKA_RELEASES: Record<KafkaVersion, { version: string; pom: string; logging: 'reload4j' | 'log4j2' }> = {
  '3.9': { version: '3.9.1', pom: 'stack/kafka-3.9.pom.xml', logging: 'reload4j' },
  '4.1': { version: '4.1.1', pom: 'stack/kafka-4.1.pom.xml', logging: 'log4j2' },
};
// 3.0.x is the newest Apicurio line that runs on Java 17 (3.3.x is built for Java 21).
export const APICURIO_VERSION = '3.0.9';

export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
}

const which = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** Java 17+ and Maven are the only things the local stack needs from the machine. */
export const checkTools = (): void => {
  if (!which('java')) throw new MissingToolError('Java 17 or newer is required to run the local Kafka and schema registry: install it (Debian: `apt-get install openjdk-17-jre-headless`) or set KAFKA_BROKERS and SCHEMA_REGISTRY_URL to use an existing cluster');
  const v = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(`${v.stderr}${v.stdout}`);
  if (m && Number(m[1]) < 17) throw new MissingToolError(`Java ${m[1]} found; Kafka and Apicurio Registry 3 need Java 17 or newer`);
  if (!which('mvn')) throw new MissingToolError('Maven is required to download Kafka and the schema registry from Maven Central: install it (Debian: `apt-get install maven`) or set KAFKA_BROKERS and SCHEMA_REGISTRY_URL to use an existing cluster');
};

const mvn = (cacheDir: string, args: string[]): void => {
  const work = join(cacheDir, 'mvn-work');
  try {
    // a goal run without a pom writes its markers under a literal `${project.basedir}` in the working directory, and a
    // marker left from an earlier run makes `unpack` skip the archive: run in a scratch directory made fresh each time
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    execFileSync('mvn', ['-q', '-B', `-Dmaven.repo.local=${join(cacheDir, 'm2')}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`maven failed: mvn ${args.join(' ')}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

export const kafkaCached = (cacheDir: string, v: KafkaVersion): boolean => existsSync(join(cacheDir, `kafka-${KAFKA_RELEASES[v].version}`, 'libs', '.complete'));
export const registryCached = (cacheDir: string): boolean => existsSync(join(cacheDir, `apicurio-${APICURIO_VERSION}`, '.complete'));

/** Returns the directory of Kafka's runtime jars, resolving them with Maven the first time. */
export const ensureKafka = (cacheDir: string, v: KafkaVersion): string => {
  const rel = KAFKA_RELEASES[v];
  const dir = join(cacheDir, `kafka-${rel.version}`, 'libs');
  if (existsSync(join(dir, '.complete'))) return dir;
  checkTools();
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mvn(cacheDir, ['-f', join(packageRoot, rel.pom), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(join(dir, '.complete'), `${new Date().toISOString()}\n`);
  return dir;
};

/** The runnable jar of an unpacked Apicurio: `quarkus-run.jar` (3.1+) or `apicurio-registry-app-<v>-runner.jar` (3.0). */
export const registryJar = (dir: string): string | undefined => readdirSync(dir).find((f) => f === 'quarkus-run.jar' || /^apicurio-registry-app-.*-runner\.jar$/.test(f));

/** Returns the path of the runnable Apicurio Registry jar, fetching it with Maven the first time. */
export const ensureRegistry = (cacheDir: string): string => {
  const dir = join(cacheDir, `apicurio-${APICURIO_VERSION}`);
  const ready = (): string => {
    const jar = registryJar(dir);
    if (jar === undefined) throw new Error(`apicurio-registry-app ${APICURIO_VERSION}: no runnable jar in ${dir}`);
    return join(dir, jar);
  };
  if (existsSync(join(dir, '.complete'))) return ready();
  checkTools();
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  mvn(cacheDir, ['dependency:unpack', `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`, `-DoutputDirectory=${tmp}`]);
  if (registryJar(tmp) === undefined) throw new Error(`apicurio-registry-app ${APICURIO_VERSION}: no runnable jar in the archive`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(join(dir, '.complete'), `${new Date().toISOString()}\n`);
  return ready();
};
