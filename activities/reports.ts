/**
 * Activities of the daily sales report: read the day's figures from the sales database, render and upload the PDF,
 * and publish the notification. The PDF never travels through workflow history; only its S3 location does.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { ApplicationFailure } from '@temporalio/common';
import type { Kysely } from 'kysely';
import { assertTimeZone, isIsoDate } from '../src/common/report-dates';
import { redactUrl } from '../src/config';
import { SalesDatabaseError } from '../src/reports/errors';
import type { DailySalesMetrics } from '../src/reports/metrics';
import { renderSalesReportPdf } from '../src/reports/pdf';
import { querySalesMetrics } from '../src/reports/queries';
import { migrateSalesDatabase, type SalesDatabase } from '../src/reports/schema';
import type { ActivityDeps } from './deps';

export interface QueryDailySalesInput {
  date: string;
  timezone: string;
}

export interface RenderDailySalesReportInput {
  metrics: DailySalesMetrics;
  /** Output bucket; EBBFLOW_OUTPUT_BUCKET when omitted. */
  bucket?: string;
  key: string;
}

export interface RenderDailySalesReportResult {
  bucket: string;
  key: string;
  location: string;
  bytes: number;
  pages: number;
  generatedAt: string;
}

export interface PublishReportNotificationInput {
  /** SNS topic; EBBFLOW_NOTIFICATION_TOPIC_ARN when omitted. */
  topicArn?: string;
  subject: string;
  /** JSON body of the notification. */
  message: Record<string, unknown>;
  outcome: 'succeeded' | 'failed';
}

export function createReportActivities(deps: ActivityDeps) {
  let migrated: Promise<unknown> | undefined;
  const salesDb = async (): Promise<Kysely<SalesDatabase>> => {
    const db = deps.database().db as Kysely<SalesDatabase>;
    migrated ??= migrateSalesDatabase(db).catch((err: unknown) => {
      migrated = undefined;
      throw err;
    });
    await migrated;
    return db;
  };

  return {
    /** The day's orders, revenue, top products and hourly series, with the comparison days. */
    async queryDailySalesMetrics(input: QueryDailySalesInput): Promise<DailySalesMetrics> {
      if (!isIsoDate(input.date)) {
        throw ApplicationFailure.nonRetryable(`expected a date as YYYY-MM-DD, got "${input.date}"`, 'InvalidInput');
      }
      try {
        assertTimeZone(input.timezone);
      } catch (err) {
        throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidInput');
      }
      try {
        return await querySalesMetrics(await salesDb(), input.date, input.timezone);
      } catch (err) {
        const e = err as Error & { code?: string };
        // Kysely's migrator wraps errors as `Error: Error: …`; keep the message once.
        const detail = (e.message || e.code || String(err)).replace(/^(Error: )+/, '');
        throw new SalesDatabaseError(
          `cannot read sales for ${input.date} from ${redactUrl(deps.config.database.url)}: ${detail}`,
          { cause: err },
        );
      }
    },

    /** Renders the report PDF and writes it to `key`, replacing a report of the same date. */
    async renderDailySalesReport(input: RenderDailySalesReportInput): Promise<RenderDailySalesReportResult> {
      const bucket = input.bucket ?? deps.config.pipeline.outputBucket;
      const generatedAt = new Date();
      const { pdf, pages } = await renderSalesReportPdf(input.metrics, { generatedAt });
      await deps.aws.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: input.key,
          Body: pdf,
          ContentType: 'application/pdf',
          Metadata: { 'report-date': input.metrics.date, 'report-timezone': input.metrics.timezone },
        }),
      );
      deps.logger.info('daily sales report written', { bucket, key: input.key, bytes: pdf.length, pages });
      return {
        bucket,
        key: input.key,
        location: `s3://${bucket}/${input.key}`,
        bytes: pdf.length,
        pages,
        generatedAt: generatedAt.toISOString(),
      };
    },

    /** Publishes the report's outcome; without a configured topic it logs and reports that nothing was sent. */
    async publishReportNotification(input: PublishReportNotificationInput): Promise<{ messageId?: string }> {
      const topicArn = input.topicArn ?? deps.config.pipeline.notificationTopicArn;
      if (!topicArn) {
        deps.logger.warn('no notification topic configured; report notification not sent', { ...input.message });
        return {};
      }
      const { MessageId } = await deps.aws.sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: input.subject.slice(0, 100),
          Message: JSON.stringify(input.message),
          MessageAttributes: {
            event: { DataType: 'String', StringValue: 'daily-sales-report' },
            outcome: { DataType: 'String', StringValue: input.outcome },
          },
        }),
      );
      return { messageId: MessageId };
    },
  };
}
