/* The AWS services whose calls the local AWS endpoint (aws_endpoint.c) understands: how each is
 * spoken on the wire, and the names of its operations.
 *
 * Protocols, targets, JSON versions and XML namespaces are those of each service's API model; the
 * operation names are the operations of the models of botocore 1.29 and of the AWS SDK for
 * JavaScript v3 3.1164 clients (their union), so that a stub naming a misspelt or made-up
 * operation is refused before a case runs. */
#include "aws_protocol.h"

#include <string.h>

static const lc__aws_service services[] = {
    {"dynamodb", "dynamodb", "2012-08-10", LC__AWS_JSON, "DynamoDB_20120810", "1.0", NULL,
         " BatchExecuteStatement BatchGetItem BatchWriteItem CancelBulkOperation CreateBackup"
         " CreateGlobalTable CreateTable DeleteBackup DeleteItem DeleteResourcePolicy DeleteTable"
         " DescribeBackup DescribeBulkOperation DescribeContinuousBackups DescribeContributorInsights"
         " DescribeEndpoints DescribeExport DescribeGlobalTable DescribeGlobalTableSettings"
         " DescribeImport DescribeKinesisStreamingDestination DescribeLimits DescribeTable"
         " DescribeTableReplicaAutoScaling DescribeTimeToLive DisableKinesisStreamingDestination"
         " EnableKinesisStreamingDestination ExecuteStatement ExecuteTransaction"
         " ExportTableToPointInTime GetItem GetResourcePolicy ImportTable ListBackups"
         " ListBulkOperations ListContributorInsights ListExports ListGlobalTables ListImports"
         " ListTables ListTagsOfResource PutItem PutResourcePolicy Query RestoreTableFromBackup"
         " RestoreTableToPointInTime Scan SearchVectors StartBulkPutItems TagResource"
         " TransactGetItems TransactWriteItems UntagResource UpdateContinuousBackups"
         " UpdateContributorInsights UpdateGlobalTable UpdateGlobalTableSettings UpdateItem"
         " UpdateKinesisStreamingDestination UpdateTable UpdateTableReplicaAutoScaling"
         " UpdateTimeToLive "},
    {"sqs", "sqs", "2012-11-05", LC__AWS_JSON, "AmazonSQS", "1.0", "http://queue.amazonaws.com/doc/2012-11-05/",
         " AddPermission CancelMessageMoveTask ChangeMessageVisibility ChangeMessageVisibilityBatch"
         " CreateQueue DeleteMessage DeleteMessageBatch DeleteQueue GetQueueAttributes GetQueueUrl"
         " ListDeadLetterSourceQueues ListMessageMoveTasks ListQueueTags ListQueues PurgeQueue"
         " ReceiveMessage RemovePermission SendMessage SendMessageBatch SetQueueAttributes"
         " StartMessageMoveTask TagQueue UntagQueue "},
    {"s3", "s3", "2006-03-01", LC__AWS_REST_XML, NULL, NULL, "http://s3.amazonaws.com/doc/2006-03-01/",
         " AbortMultipartUpload CompleteMultipartUpload CopyObject CreateBucket"
         " CreateBucketMetadataConfiguration CreateBucketMetadataTableConfiguration"
         " CreateMultipartUpload CreateSession DeleteBucket DeleteBucketAnalyticsConfiguration"
         " DeleteBucketCors DeleteBucketEncryption DeleteBucketIntelligentTieringConfiguration"
         " DeleteBucketInventoryConfiguration DeleteBucketLifecycle DeleteBucketMetadataConfiguration"
         " DeleteBucketMetadataTableConfiguration DeleteBucketMetricsConfiguration"
         " DeleteBucketOwnershipControls DeleteBucketPolicy DeleteBucketReplication"
         " DeleteBucketTagging DeleteBucketWebsite DeleteObject DeleteObjectAnnotation"
         " DeleteObjectTagging DeleteObjects DeletePublicAccessBlock GetBucketAbac"
         " GetBucketAccelerateConfiguration GetBucketAcl GetBucketAnalyticsConfiguration"
         " GetBucketCors GetBucketEncryption GetBucketIntelligentTieringConfiguration"
         " GetBucketInventoryConfiguration GetBucketLifecycle GetBucketLifecycleConfiguration"
         " GetBucketLocation GetBucketLogging GetBucketMetadataConfiguration"
         " GetBucketMetadataTableConfiguration GetBucketMetricsConfiguration GetBucketNotification"
         " GetBucketNotificationConfiguration GetBucketOwnershipControls GetBucketPolicy"
         " GetBucketPolicyStatus GetBucketReplication GetBucketRequestPayment GetBucketTagging"
         " GetBucketVersioning GetBucketWebsite GetObject GetObjectAcl GetObjectAnnotation"
         " GetObjectAttributes GetObjectLegalHold GetObjectLockConfiguration GetObjectRetention"
         " GetObjectTagging GetObjectTorrent GetPublicAccessBlock HeadBucket HeadObject"
         " ListBucketAnalyticsConfigurations ListBucketIntelligentTieringConfigurations"
         " ListBucketInventoryConfigurations ListBucketMetricsConfigurations ListBuckets"
         " ListDirectoryBuckets ListMultipartUploads ListObjectAnnotations ListObjectVersions"
         " ListObjects ListObjectsV2 ListParts PutBucketAbac PutBucketAccelerateConfiguration"
         " PutBucketAcl PutBucketAnalyticsConfiguration PutBucketCors PutBucketEncryption"
         " PutBucketIntelligentTieringConfiguration PutBucketInventoryConfiguration"
         " PutBucketLifecycle PutBucketLifecycleConfiguration PutBucketLogging"
         " PutBucketMetricsConfiguration PutBucketNotification PutBucketNotificationConfiguration"
         " PutBucketOwnershipControls PutBucketPolicy PutBucketReplication PutBucketRequestPayment"
         " PutBucketTagging PutBucketVersioning PutBucketWebsite PutObject PutObjectAcl"
         " PutObjectAnnotation PutObjectLegalHold PutObjectLockConfiguration PutObjectRetention"
         " PutObjectTagging PutPublicAccessBlock RenameObject RestoreObject SelectObjectContent"
         " UpdateBucketMetadataAnnotationTableConfiguration"
         " UpdateBucketMetadataInventoryTableConfiguration"
         " UpdateBucketMetadataJournalTableConfiguration UpdateObjectEncryption UploadPart"
         " UploadPartCopy WriteGetObjectResponse "},
    {"lambda", "lambda", "2015-03-31", LC__AWS_REST_JSON, NULL, NULL, NULL,
         " AddLayerVersionPermission AddPermission CheckpointDurableExecution CreateAlias"
         " CreateCapacityProvider CreateCodeSigningConfig CreateEventSourceMapping CreateFunction"
         " CreateFunctionUrlConfig DeleteAlias DeleteCapacityProvider DeleteCodeSigningConfig"
         " DeleteEventSourceMapping DeleteFunction DeleteFunctionCodeSigningConfig"
         " DeleteFunctionConcurrency DeleteFunctionEventInvokeConfig DeleteFunctionUrlConfig"
         " DeleteLayerVersion DeleteProvisionedConcurrencyConfig DeleteResourcePolicy"
         " GetAccountSettings GetAlias GetCapacityProvider GetCodeSigningConfig GetDurableExecution"
         " GetDurableExecutionHistory GetDurableExecutionState GetEventSourceMapping GetFunction"
         " GetFunctionCodeSigningConfig GetFunctionConcurrency GetFunctionConfiguration"
         " GetFunctionEventInvokeConfig GetFunctionRecursionConfig GetFunctionScalingConfig"
         " GetFunctionUrlConfig GetLayerVersion GetLayerVersionByArn GetLayerVersionPolicy GetPolicy"
         " GetProvisionedConcurrencyConfig GetResourcePolicy GetRuntimeManagementConfig Invoke"
         " InvokeAsync InvokeWithResponseStream ListAliases ListCapacityProviders"
         " ListCodeSigningConfigs ListDurableExecutionsByFunction ListEventSourceMappings"
         " ListFunctionEventInvokeConfigs ListFunctionUrlConfigs"
         " ListFunctionVersionsByCapacityProvider ListFunctions ListFunctionsByCodeSigningConfig"
         " ListLayerVersions ListLayers ListProvisionedConcurrencyConfigs ListTags"
         " ListVersionsByFunction PublishLayerVersion PublishVersion PutFunctionCodeSigningConfig"
         " PutFunctionConcurrency PutFunctionEventInvokeConfig PutFunctionRecursionConfig"
         " PutFunctionScalingConfig PutProvisionedConcurrencyConfig PutResourcePolicy"
         " PutRuntimeManagementConfig RemoveLayerVersionPermission RemovePermission"
         " SendDurableExecutionCallbackFailure SendDurableExecutionCallbackHeartbeat"
         " SendDurableExecutionCallbackSuccess StopDurableExecution TagResource UntagResource"
         " UpdateAlias UpdateCapacityProvider UpdateCodeSigningConfig UpdateEventSourceMapping"
         " UpdateFunctionCode UpdateFunctionConfiguration UpdateFunctionEventInvokeConfig"
         " UpdateFunctionUrlConfig "},
    {"states", "stepfunctions", "2016-11-23", LC__AWS_JSON, "AWSStepFunctions", "1.0", NULL,
         " CreateActivity CreateStateMachine DeleteActivity DeleteStateMachine DescribeActivity"
         " DescribeExecution DescribeMapRun DescribeStateMachine DescribeStateMachineForExecution"
         " GetActivityTask GetExecutionHistory ListActivities ListExecutions ListMapRuns"
         " ListStateMachines ListTagsForResource SendTaskFailure SendTaskHeartbeat SendTaskSuccess"
         " StartExecution StartSyncExecution StopExecution TagResource UntagResource UpdateMapRun"
         " UpdateStateMachine "},
    {"events", "events", "2015-10-07", LC__AWS_JSON, "AWSEvents", "1.1", NULL,
         " ActivateEventSource CancelReplay CreateApiDestination CreateArchive CreateConnection"
         " CreateEndpoint CreateEventBus CreatePartnerEventSource DeactivateEventSource"
         " DeauthorizeConnection DeleteApiDestination DeleteArchive DeleteConnection DeleteEndpoint"
         " DeleteEventBus DeletePartnerEventSource DeleteRule DescribeApiDestination DescribeArchive"
         " DescribeConnection DescribeEndpoint DescribeEventBus DescribeEventSource"
         " DescribePartnerEventSource DescribeReplay DescribeRule DisableRule EnableRule"
         " ListApiDestinations ListArchives ListConnections ListEndpoints ListEventBuses"
         " ListEventSources ListPartnerEventSourceAccounts ListPartnerEventSources ListReplays"
         " ListRuleNamesByTarget ListRules ListTagsForResource ListTargetsByRule PutEvents"
         " PutPartnerEvents PutPermission PutRule PutTargets RemovePermission RemoveTargets"
         " StartReplay TagResource TestEventPattern UntagResource UpdateApiDestination UpdateArchive"
         " UpdateConnection UpdateEndpoint "},
    {"secretsmanager", "secretsmanager", "2017-10-17", LC__AWS_JSON, "secretsmanager", "1.1", NULL,
         " CancelRotateSecret CreateSecret DeleteResourcePolicy DeleteSecret DescribeSecret"
         " GetRandomPassword GetResourcePolicy GetSecretValue ListSecretVersionIds ListSecrets"
         " PutResourcePolicy PutSecretValue RemoveRegionsFromReplication ReplicateSecretToRegions"
         " RestoreSecret RotateSecret StopReplicationToReplica TagResource UntagResource UpdateSecret"
         " UpdateSecretVersionStage ValidateResourcePolicy "},
    {"ssm", "ssm", "2014-11-06", LC__AWS_JSON, "AmazonSSM", "1.1", NULL,
         " AddTagsToResource AssociateOpsItemRelatedItem CancelCommand"
         " CancelMaintenanceWindowExecution CreateActivation CreateAssociation CreateAssociationBatch"
         " CreateDocument CreateMaintenanceWindow CreateOpsItem CreateOpsMetadata CreatePatchBaseline"
         " CreateResourceDataSync DeleteActivation DeleteAssociation DeleteDocument DeleteInventory"
         " DeleteMaintenanceWindow DeleteOpsMetadata DeleteParameter DeleteParameters"
         " DeletePatchBaseline DeleteResourceDataSync DeleteResourcePolicy DeregisterManagedInstance"
         " DeregisterPatchBaselineForPatchGroup DeregisterTargetFromMaintenanceWindow"
         " DeregisterTaskFromMaintenanceWindow DescribeActivations DescribeAssociation"
         " DescribeAssociationExecutionTargets DescribeAssociationExecutions"
         " DescribeAutomationExecutions DescribeAutomationStepExecutions DescribeAvailablePatches"
         " DescribeDocument DescribeDocumentPermission DescribeEffectiveInstanceAssociations"
         " DescribeEffectivePatchesForPatchBaseline DescribeInstanceAssociationsStatus"
         " DescribeInstanceInformation DescribeInstancePatchStates"
         " DescribeInstancePatchStatesForPatchGroup DescribeInstancePatches"
         " DescribeInventoryDeletions DescribeMaintenanceWindowExecutionTaskInvocations"
         " DescribeMaintenanceWindowExecutionTasks DescribeMaintenanceWindowExecutions"
         " DescribeMaintenanceWindowSchedule DescribeMaintenanceWindowTargets"
         " DescribeMaintenanceWindowTasks DescribeMaintenanceWindows"
         " DescribeMaintenanceWindowsForTarget DescribeOpsItems DescribeParameters"
         " DescribePatchBaselines DescribePatchGroupState DescribePatchGroups DescribePatchProperties"
         " DescribeSessions DisassociateOpsItemRelatedItem GetAutomationExecution GetCalendarState"
         " GetCommandInvocation GetConnectionStatus GetDefaultPatchBaseline"
         " GetDeployablePatchSnapshotForInstance GetDocument GetInventory GetInventorySchema"
         " GetMaintenanceWindow GetMaintenanceWindowExecution GetMaintenanceWindowExecutionTask"
         " GetMaintenanceWindowExecutionTaskInvocation GetMaintenanceWindowTask GetOpsItem"
         " GetOpsMetadata GetOpsSummary GetParameter GetParameterHistory GetParameters"
         " GetParametersByPath GetPatchBaseline GetPatchBaselineForPatchGroup GetResourcePolicies"
         " GetServiceSetting LabelParameterVersion ListAssociationVersions ListAssociations"
         " ListCommandInvocations ListCommands ListComplianceItems ListComplianceSummaries"
         " ListDocumentMetadataHistory ListDocumentVersions ListDocuments ListInventoryEntries"
         " ListOpsItemEvents ListOpsItemRelatedItems ListOpsMetadata ListResourceComplianceSummaries"
         " ListResourceDataSync ListTagsForResource ModifyDocumentPermission PutComplianceItems"
         " PutInventory PutParameter PutResourcePolicy RegisterDefaultPatchBaseline"
         " RegisterPatchBaselineForPatchGroup RegisterTargetWithMaintenanceWindow"
         " RegisterTaskWithMaintenanceWindow RemoveTagsFromResource ResetServiceSetting ResumeSession"
         " SendAutomationSignal SendCommand StartAssociationsOnce StartAutomationExecution"
         " StartChangeRequestExecution StartSession StopAutomationExecution TerminateSession"
         " UnlabelParameterVersion UpdateAssociation UpdateAssociationStatus UpdateDocument"
         " UpdateDocumentDefaultVersion UpdateDocumentMetadata UpdateMaintenanceWindow"
         " UpdateMaintenanceWindowTarget UpdateMaintenanceWindowTask UpdateManagedInstanceRole"
         " UpdateOpsItem UpdateOpsMetadata UpdatePatchBaseline UpdateResourceDataSync"
         " UpdateServiceSetting "},
    {"kms", "kms", "2014-11-01", LC__AWS_JSON, "TrentService", "1.1", NULL,
         " CancelKeyDeletion ConnectCustomKeyStore CreateAlias CreateCustomKeyStore CreateGrant"
         " CreateKey Decrypt DeleteAlias DeleteCustomKeyStore DeleteImportedKeyMaterial"
         " DescribeCustomKeyStores DescribeKey DisableKey DisableKeyRotation DisconnectCustomKeyStore"
         " EnableKey EnableKeyRotation Encrypt GenerateDataKey GenerateDataKeyPair"
         " GenerateDataKeyPairWithoutPlaintext GenerateDataKeyWithoutPlaintext GenerateMac"
         " GenerateRandom GetKeyPolicy GetKeyRotationStatus GetParametersForImport GetPublicKey"
         " ImportKeyMaterial ListAliases ListGrants ListKeyPolicies ListKeys ListResourceTags"
         " ListRetirableGrants PutKeyPolicy ReEncrypt ReplicateKey RetireGrant RevokeGrant"
         " ScheduleKeyDeletion Sign TagResource UntagResource UpdateAlias UpdateCustomKeyStore"
         " UpdateKeyDescription UpdatePrimaryRegion Verify VerifyMac "},
    {"kinesis", "kinesis", "2013-12-02", LC__AWS_JSON, "Kinesis_20131202", "1.1", NULL,
         " AddTagsToStream CreateStream DecreaseStreamRetentionPeriod DeleteStream"
         " DeregisterStreamConsumer DescribeLimits DescribeStream DescribeStreamConsumer"
         " DescribeStreamSummary DisableEnhancedMonitoring EnableEnhancedMonitoring GetRecords"
         " GetShardIterator IncreaseStreamRetentionPeriod ListShards ListStreamConsumers ListStreams"
         " ListTagsForStream MergeShards PutRecord PutRecords RegisterStreamConsumer"
         " RemoveTagsFromStream SplitShard StartStreamEncryption StopStreamEncryption"
         " SubscribeToShard UpdateShardCount UpdateStreamMode "},
    {"firehose", "firehose", "2015-08-04", LC__AWS_JSON, "Firehose_20150804", "1.1", NULL,
         " CreateDeliveryStream DeleteDeliveryStream DescribeDeliveryStream ListDeliveryStreams"
         " ListTagsForDeliveryStream PutRecord PutRecordBatch StartDeliveryStreamEncryption"
         " StopDeliveryStreamEncryption TagDeliveryStream UntagDeliveryStream UpdateDestination "},
    {"sns", "sns", "2010-03-31", LC__AWS_QUERY, NULL, NULL, "http://sns.amazonaws.com/doc/2010-03-31/",
         " AddPermission CheckIfPhoneNumberIsOptedOut ConfirmSubscription CreatePlatformApplication"
         " CreatePlatformEndpoint CreateSMSSandboxPhoneNumber CreateTopic DeleteEndpoint"
         " DeletePlatformApplication DeleteSMSSandboxPhoneNumber DeleteTopic GetDataProtectionPolicy"
         " GetEndpointAttributes GetPlatformApplicationAttributes GetSMSAttributes"
         " GetSMSSandboxAccountStatus GetSubscriptionAttributes GetTopicAttributes"
         " ListEndpointsByPlatformApplication ListOriginationNumbers ListPhoneNumbersOptedOut"
         " ListPlatformApplications ListSMSSandboxPhoneNumbers ListSubscriptions"
         " ListSubscriptionsByTopic ListTagsForResource ListTopics OptInPhoneNumber Publish"
         " PublishBatch PutDataProtectionPolicy RemovePermission SetEndpointAttributes"
         " SetPlatformApplicationAttributes SetSMSAttributes SetSubscriptionAttributes"
         " SetTopicAttributes Subscribe TagResource Unsubscribe UntagResource"
         " VerifySMSSandboxPhoneNumber "},
    {"sts", "sts", "2011-06-15", LC__AWS_QUERY, NULL, NULL, "https://sts.amazonaws.com/doc/2011-06-15/",
         " AssumeRole AssumeRoleWithSAML AssumeRoleWithWebIdentity AssumeRoot"
         " DecodeAuthorizationMessage GetAccessKeyInfo GetCallerIdentity GetDelegatedAccessToken"
         " GetFederationToken GetSessionToken GetWebIdentityToken "},
};

#define N_SERVICES (sizeof services / sizeof services[0])

const lc__aws_service *lc__aws_service_named(const char *name)
{
    for (size_t i = 0; name && i < N_SERVICES; i++)
        if (strcmp(services[i].name, name) == 0)
            return &services[i];
    return NULL;
}

const lc__aws_service *lc__aws_service_by_target(const char *prefix, size_t len)
{
    for (size_t i = 0; prefix && i < N_SERVICES; i++) {
        const char *t = services[i].target_prefix;
        if (t && strlen(t) == len && strncmp(t, prefix, len) == 0)
            return &services[i];
    }
    return NULL;
}

bool lc__aws_service_has(const lc__aws_service *s, const char *operation)
{
    size_t n = strlen(operation);
    if (n == 0 || strchr(operation, ' '))
        return false;
    for (const char *p = strstr(s->operations, operation); p; p = strstr(p + 1, operation))
        if (p[-1] == ' ' && p[n] == ' ')
            return true;
    return false;
}

size_t lc__aws_service_count(void) { return N_SERVICES; }
const lc__aws_service *lc__aws_service_at(size_t i) { return i < N_SERVICES ? &services[i] : NULL; }
