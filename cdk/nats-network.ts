import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledge, awsManagedPolicy } from './nag.js';
import type { NatsNetwork } from './settings.js';

/**
 * The VPC, subnets and security group of the private NATS, from ids: Vpc.fromLookup would need AWS credentials at
 * synth. The subnets need a route to the AWS APIs (NAT or VPC endpoints for S3, KMS, SSM, Secrets Manager, SES,
 * SNS, X-Ray).
 */
export function natsNetwork(scope: Construct, nats: NatsNetwork, roles: readonly iam.Role[]) {
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'NatsVpc', {
    vpcId: nats.vpcId,
    availabilityZones: Stack.of(scope).availabilityZones,
  });
  const subnets = nats.subnetIds.map((id) => {
    const subnet = ec2.Subnet.fromSubnetId(scope, `NatsSubnet-${id}`, id);
    acknowledge(
      subnet,
      'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      'The functions only attach network interfaces to these subnets; nothing reads their route tables.',
    );
    return subnet;
  });
  const securityGroups = nats.securityGroupId
    ? [ec2.SecurityGroup.fromSecurityGroupId(scope, 'NatsSecurityGroup', nats.securityGroupId)]
    : [
        new ec2.SecurityGroup(scope, 'ReportSecurityGroup', {
          vpc,
          description: 'SOX report functions: outbound to NATS and the AWS APIs',
          allowAllOutbound: true,
        }),
      ];
  // The role is ours, so Lambda does not attach this itself; it lets Lambda create the functions' network interfaces.
  for (const role of roles) {
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    acknowledge(
      role,
      awsManagedPolicy('service-role/AWSLambdaVPCAccessExecutionRole'),
      'AWSLambdaVPCAccessExecutionRole is the AWS-maintained set of EC2 network-interface actions Lambda needs ' +
        'to place the functions in the NATS VPC.',
    );
  }
  return { vpc, subnets, securityGroups };
}
