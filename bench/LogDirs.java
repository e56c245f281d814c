// Bytes of a topic's partition logs on every broker (DescribeLogDirs), for bench/codecs.ts: kafkajs has no
// DescribeLogDirs, Kafka's own Admin client has. One process for the whole bench (a JVM start and a source compile
// take seconds): it reads topic names from stdin, one a line, and prints each topic's bytes on a line of its own.
// Runs as a single-file program on the jars `stack up` installs:
//   java -cp '<cache>/kafka-3.9.1/libs/*' bench/LogDirs.java <bootstrap>
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;

public class LogDirs {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    try (Admin admin = Admin.create(props); BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
      for (String topic; (topic = in.readLine()) != null; ) {
        List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(n -> n.id()).toList();
        long bytes = 0;
        for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values())
          for (LogDirDescription dir : dirs.values())
            for (var e : dir.replicaInfos().entrySet())
              if (e.getKey().topic().equals(topic)) bytes += e.getValue().size();
        System.out.println(bytes);
        System.out.flush();
      }
    }
  }
}
